"""Milestones: on the command line the supplier's account lead submits the first milestone
the buyer pays for, with a file of each evidence kind it requires, and its sign-off person
accepts it, which issues its invoice; over the API the next payable milestone goes the same
way, each side with its own token, and the invoices list holds both."""

from __future__ import annotations

from decimal import Decimal

from copact.core.deal import Milestone
from copact.core.invoicing import invoice_amounts, vat_on
from tests.lifecycles.common import DEAL, Run, evidence_file


def _kinds(m: Milestone) -> list[str]:
    return list(m.acceptance.evidence) if m.acceptance else []


def _files(run: Run, m: Milestone) -> list[str]:
    """``--evidence KIND=FILE`` for each kind ``m`` requires, the files written to disk."""
    args = []
    for kind in _kinds(m):
        name, content = evidence_file(kind)
        (run.tmp / name).write_bytes(content)
        args += ["--evidence", f"{kind}={run.tmp / name}"]
    return args


def lifecycle(run: Run) -> None:
    deal = run.deal
    amounts = invoice_amounts(deal)
    payable = [m for m in deal.milestones if amounts[m.id].amount > 0]
    if deal.cost_plus is not None:
        # a cost-plus deal's milestones pay nothing: its costs are the price (cost_plus.py)
        assert payable == []
        return
    first, second, *_ = payable

    run.cli("submit", DEAL, first.id, "--by", "account-lead", *_files(run, first))
    signoff = first.acceptance.signoff if first.acceptance else None
    accepted = run.cli("accept", DEAL, first.id, "--by", signoff or "owner")
    gross = amounts[first.id] + vat_on(deal, amounts[first.id])
    if deal.prepaid is None:
        assert f"voltworks → acme {gross.amount:,.2f}" in accepted, accepted
    assert "invoice VOLTWORKS-" in accepted, accepted

    hashes = [run.upload("voltworks", kind, *evidence_file(kind)) for kind in _kinds(second)]
    run.post("voltworks", f"milestones/{second.id}/submit", "submit-2", json={"evidence": hashes})
    done = run.post("acme", f"milestones/{second.id}/accept", "accept-2", json={})
    assert [e["type"] for e in done["events"]] == ["accepted", "invoice"]
    billed = {
        line["for"]: Decimal(line["amount"])
        for i in run.invoices()
        if i["kind"] == "invoice"
        for line in i["lines"]
    }
    if deal.prepaid is None:
        assert billed.get(first.id) == amounts[first.id].amount, billed
        assert billed.get(second.id) == amounts[second.id].amount, billed
