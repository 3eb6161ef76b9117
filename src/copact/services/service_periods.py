"""A managed service's period, metered and recorded in the journal (issue 15 §6).

:func:`record_period` meters the period exactly as ``copact meter`` does
(:func:`copact.services.metering.meter_period`, the journal's maintenance windows counted),
then records its settlement: per site the fee, credits, bonuses and amount, the run's flags
(each with its site) and the hash of every input it read. The guard is
:func:`copact.core.service.settle_service`, run under the deal's write lock on the journal it
appends to; a period is settled once. Invoicing and review are commands of their own
(:class:`~copact.services.operations.IssueServiceInvoice`,
:class:`~copact.services.operations.ReviewServicePeriod`)::

    metered, outcome = record_period(ws, "hybrid-dc1", request, by="sam", clock=clock)
    outcome.events[0].amount          # 3800.00: the fee less a 5% availability credit
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from copact.core.events import SiteSettlement
from copact.services import operations as ops
from copact.services.metering import MeterRequest, MeterResult, meter_period
from copact.services.uow import Outcome
from copact.services.workspace import Workspace

__all__ = ["record_period", "settlement_command"]


def settlement_command(
    deal_id: str, metered: MeterResult, *, by: str, key: str | None = None
) -> ops.SettleServicePeriod:
    """The command that records ``metered`` as the period's settlement."""
    sites = []
    flags: list[str] = []
    for site in metered.report.sites:
        s = site.settlement
        sites.append(
            SiteSettlement(
                site=site.site,
                fee=s.fee.quantize().amount,
                credits=s.credits.quantize().amount,
                bonuses=s.bonuses.quantize().amount,
                amount=s.amount.quantize().amount,
            )
        )
        flags += [f"{site.site}: {flag}" for flag in s.flags]
    return ops.SettleServicePeriod(
        deal=deal_id,
        period=metered.report.month,
        sites=tuple(sites),
        inputs=metered.inputs_hash,
        flags=tuple(dict.fromkeys(flags)),
        by=by,
        key=key,
    )


def record_period(
    workspace: Workspace,
    deal_id: str,
    request: MeterRequest,
    *,
    by: str,
    clock: Callable[[], datetime],
    key: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> tuple[MeterResult, Outcome]:
    """Meter ``request.period`` of the deal and record its settlement (see the module)."""
    deal = workspace.deal(deal_id)
    metered = meter_period(deal, request, workspace=workspace, on_step=on_step)
    command = settlement_command(deal_id, metered, by=by, key=key)
    return metered, ops.execute(command, uow=workspace, clock=clock)
