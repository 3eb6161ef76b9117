"""X401–X406: a clean way out, negotiated before the start."""

from __future__ import annotations

from collections.abc import Iterator

from copact.core.deal import Deal
from copact.core.diagnostic import Severity
from copact.core.terms import Triggers
from copact.rules.registry import Finding, rule


def _triggers(deal: Deal) -> Triggers | None:
    return deal.exit.triggers if deal.exit else None


def _where(deal: Deal) -> str:
    if deal.exit is None:
        return ""
    return "/exit/triggers" if deal.exit.triggers else "/exit"


@rule(
    "X401",
    "no-missed-milestone-exit",
    Severity.ERROR,
    "no exit for missed milestones",
    hint="add `exit.triggers.missed-milestone: {after-cure: true}`",
)
def no_missed_milestone_exit(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A deal with milestones can be ended when one is missed (after its
    cure period): `exit.triggers.missed-milestone`.

    **Why.** Without it, a buyer keeps funding a project that has stopped delivering; the
    right to leave is what makes staged funding a control rather than a schedule.

    **Example.**

        exit: {triggers: {convenience: {by: [acme], notice-days: 60}}}

    **Use instead.** Add `missed-milestone: {after-cure: true}`.
    """
    t = _triggers(deal)
    if deal.milestones and (t is None or t.missed_milestone is None):
        yield Finding(_where(deal), "no exit trigger for a missed milestone")


@rule(
    "X402",
    "no-convenience-exit",
    Severity.WARNING,
    "no termination for convenience with notice",
    hint="add `convenience: {by: [BUYER], notice-days: 60}`",
)
def no_convenience_exit(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `convenience` trigger names who may use it and its `notice-days`.

    **Why.** Demand forecasts collapse and technology changes; a buyer must be able to stop a
    project that no longer fits, paying for work done, after a stated notice.

    **Example.**

        exit: {triggers: {missed-milestone: {}}}

    **Use instead.** `convenience: {by: [acme], notice-days: 60}`.
    """
    t = _triggers(deal)
    if t is None or t.convenience is None:
        yield Finding(_where(deal), "no termination for convenience")
    elif t.convenience.notice_days is None or not t.convenience.by:
        yield Finding("/exit/triggers/convenience", "convenience exit without `by` and notice")


@rule(
    "X403",
    "no-change-of-control",
    Severity.WARNING,
    "no change-of-control clause",
    hint="add `change-of-control: {by: [...]}`",
)
def no_change_of_control(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A `change-of-control` exit trigger.

    **Why.** If the supplier is acquired, perhaps by the buyer's competitor, the buyer's
    data, roadmap and funded IP go with it. The right to leave on a change of control is
    the protection.

    **Example.**

        exit: {triggers: {missed-milestone: {}, convenience: {...}}}

    **Use instead.** `change-of-control: {by: [acme, voltworks]}`.
    """
    t = _triggers(deal)
    if t is None or t.change_of_control is None:
        yield Finding(_where(deal), "no change-of-control exit")


@rule(
    "X404",
    "exit-assets-unsaid",
    Severity.ERROR,
    "what happens on exit to foreground IP, tooling, inventory and unfinished work is not said",
    hint="fill in `exit.on-exit`: foreground-ip (or licenses-survive), tooling, inventory, "
    "unfinished-work",
)
def exit_assets_unsaid(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** `exit.on-exit` says what happens to `tooling`, `inventory`,
    `unfinished-work` and the foreground IP (`foreground-ip`, or `licenses-survive`).

    **Why.** Termination is not the end of the story: a mould paid by the buyer sitting in
    the supplier's plant, half-built units and a licence that may or may not survive are
    where a project gets trapped in limbo.

    **Example.**

        on-exit: {documentation: deliver}

    **Use instead.** `on-exit: {tooling: acme, inventory: acme-at-cost, unfinished-work:
    acme-pays-pro-rata, licenses-survive: true}`.
    """
    on = deal.exit.on_exit if deal.exit else None
    if on is None:
        yield Finding("/exit" if deal.exit else "", "nothing says what happens on exit")
        return
    missing = [
        key
        for key, value in (
            ("tooling", on.tooling),
            ("inventory", on.inventory),
            ("unfinished-work", on.unfinished_work),
        )
        if not value
    ]
    if on.foreground_ip is None and on.licenses_survive is None:
        missing.append("foreground-ip")
    if missing:
        yield Finding("/exit/on-exit", f"on exit, nothing is said about {', '.join(missing)}")


@rule(
    "X405",
    "prepayment-without-refund",
    Severity.WARNING,
    "money paid ahead of delivery with no refund of unused funds",
    hint="add `exit.prepaid-refund: {unused: true, deduction-cap: 10%}`",
)
def prepayment_without_refund(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** A deal with money paid ahead of delivery (`prepaid`, `convertible`)
    refunds the unused part on exit: `exit.prepaid-refund.unused: true`.

    **Why.** An advance is the buyer's money until it is earned. On exit the buyer recovers
    what was not earned, less a capped deduction for completed work.

    **Example.**

        prepaid: {amount: 50000}
        exit: {triggers: {...}}

    **Use instead.** `prepaid-refund: {unused: true, deduction-cap: 10%}`.
    """
    if deal.prepaid is None and deal.convertible is None:
        return
    refund = deal.exit.prepaid_refund if deal.exit else None
    if refund is None or not refund.unused:
        where = "/exit/prepaid-refund" if refund else ("/exit" if deal.exit else "")
        yield Finding(where, "unused advance money is not refunded on exit")


@rule(
    "X406",
    "no-return-or-destroy",
    Severity.WARNING,
    "no return-or-destroy of confidential data on exit",
    hint="set `exit.on-exit.confidential-data: return-or-destroy`",
)
def no_return_or_destroy(deal: Deal) -> Iterator[Finding]:
    """
    **What it checks.** On exit, confidential data is returned or destroyed:
    `exit.on-exit.confidential-data: return-or-destroy`, or, when the exit terms are silent,
    `risk-controls.confidentiality.return-or-destroy: true`. Exit terms that say `retain`
    are reported even when the confidentiality clause says otherwise.

    **Why.** Load data, pricing and customer lists shared for the project should not outlive
    it at a former partner; once information spreads, control is lost.

    **Example.**

        on-exit: {tooling: acme, ...}

    **Use instead.** Add `confidential-data: return-or-destroy`.
    """
    on = deal.exit.on_exit if deal.exit else None
    conf = deal.risk_controls.confidentiality if deal.risk_controls else None
    said = on.confidential_data if on else None
    if said is not None and said != "return-or-destroy":
        # what the exit terms say wins over a general confidentiality clause
        yield Finding("/exit/on-exit/confidential-data", f"on exit, confidential data is {said}")
    elif said is None and not (conf is not None and conf.return_or_destroy):
        where = "/exit/on-exit" if on else ("/exit" if deal.exit else "")
        yield Finding(where, "confidential data is not returned or destroyed on exit")
