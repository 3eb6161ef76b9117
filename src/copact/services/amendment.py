"""Change orders that patch the deal: whether a patch may become the next version, and the
texts of the versions an approval creates. Pure: both units of work (SQL and the fake) store
what :func:`amended_texts` returns, so they cannot disagree on a version.

A change order carries a JSON Merge Patch of the deal file. Proposing it runs
:func:`guard_amendment`; the approval that completes it makes ``amend(text, patch)`` the next
version, in the same transaction as the approval::

    amended_texts(text, history, [ChangeApproved(change="co-1", ...)])
    → ["...the deal with co-1's patch applied..."]      # stored as version 2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from copact.core.changes import ChangeState, protected_changes
from copact.core.costplus import cost_terms_taken_back
from copact.core.diagnostic import Diagnostic, Severity
from copact.core.events import ChangeApproved, Event
from copact.core.state import DealState, deal_state
from copact.dealfile.dump import amend
from copact.dealfile.loader import LoadedDeal, load_text
from copact.errors import RefusedCommand
from copact.rules.runner import check_deal
from copact.services.deal_cache import parsed_deal

__all__ = ["amended_texts", "guard_amendment", "patch_problem", "texts_of_approvals"]


def guard_amendment(text: str, change: str, patch: dict[str, Any], state: DealState) -> None:
    """Refuse a patch whose deal would not load, would fail ``copact check`` where the current
    one does not, or would take back what the journal holds (``core.changes``)."""
    deal = state.deal
    problem = patch_problem(text, patch, deal.id)
    if problem:
        raise RefusedCommand(f"change {change}: {problem}")
    after = load_text(amend(text, patch), f"{deal.id} (amended)").deal
    assert after is not None  # patch_problem said it loads
    held = {
        m.id: ("accepted" if m.state == "accepted" else m.state)
        + (" and invoiced" if m.invoiced else "")
        for m in state.milestones.values()
        if m.invoiced or m.state in ("submitted", "accepted")
    }
    taken_back = protected_changes(
        deal,
        after,
        held=held,
        invoiced=[m.id for m in state.milestones.values() if m.invoiced],
        money_moved=bool(state.payment_refs or state.invoices),
    )
    taken_back += cost_terms_taken_back(deal, after, state)  # cost-plus
    if taken_back:
        raise RefusedCommand(f"change {change}: " + "; ".join(taken_back))


def patch_problem(text: str, patch: dict[str, Any], deal_id: str) -> str | None:
    """Why a change order's patch cannot become the next version of the deal, or None."""
    amended = amend(text, patch)
    loaded = load_text(amended, f"{deal_id} (amended)")
    errors = [d for d in loaded.diagnostics if d.severity is Severity.ERROR]
    if loaded.deal is None or errors:
        first = (errors or loaded.diagnostics)[0]
        return f"the amended deal would not load: {first.code} {first.message}"
    if loaded.deal.id != deal_id:
        return "a change order cannot change the deal's id"
    introduced = _new_errors(load_text(text, deal_id), loaded)
    if introduced:
        findings = "; ".join(f"{d.code} {d.message}" for d in introduced)
        return f"the amended deal would fail copact check: {findings}"
    return None


def _new_errors(before: LoadedDeal, after: LoadedDeal) -> list[Diagnostic]:
    """The errors ``copact check`` reports of the amended deal and not of the current one (a
    deal registered with an error can still be amended, as long as nothing new breaks)."""

    def errors(loaded: LoadedDeal) -> list[Diagnostic]:
        return [d for d in check_deal(loaded) if d.severity is Severity.ERROR]

    known = {(d.code, d.message) for d in errors(before)}
    return [d for d in errors(after) if (d.code, d.message) not in known]


def amended_texts(text: str, deal_id: str, before: list[Event], caused: list[Event]) -> list[str]:
    """The deal texts of the versions ``caused`` creates after ``before``, in order: one for
    each change order with a patch that ``caused`` completes (its last approval). ``text`` is
    the deal's latest version. A patch that no longer applies is refused
    (:class:`RefusedCommand`) and nothing of the command is kept."""
    if not any(isinstance(e, ChangeApproved) for e in caused):
        return []
    deal = parsed_deal(text, deal_id)
    last = max(e.day for e in caused)
    was = deal_state(deal, before, on=last).changes
    now = deal_state(deal, [*before, *caused], on=last).changes
    return texts_of_approvals(text, deal_id, caused, was=was, now=now)


def texts_of_approvals(
    text: str,
    deal_id: str,
    caused: Iterable[Event],
    *,
    was: Mapping[str, ChangeState],
    now: Mapping[str, ChangeState],
) -> list[str]:
    """:func:`amended_texts` given the change orders as they stood before ``caused``
    (``was``) and after (``now``): what a caller that keeps a running fold (an import) has
    without folding the journal twice more."""
    texts = []
    approved = [e.change for e in caused if isinstance(e, ChangeApproved)]
    for change_id in dict.fromkeys(approved):
        change = now.get(change_id)
        if change is None or change.status != "approved":
            continue
        if change_id in was and was[change_id].status == "approved":
            continue
        if change.patch:
            problem = patch_problem(text, change.patch, deal_id)
            if problem:
                raise RefusedCommand(f"change {change.id} cannot be applied: {problem}")
            text = amend(text, change.patch)
            texts.append(text)
    return texts
