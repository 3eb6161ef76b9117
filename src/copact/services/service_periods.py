"""A managed service's period, metered and recorded in the journal (issue 15 §6).

:func:`record_period` meters the period exactly as ``copact meter`` does
(:func:`copact.services.metering.meter_period`, the journal's maintenance windows counted),
then records its settlement: per site the fee, credits, bonuses and amount, the run's flags
(each with its site), the hash of every input it read, and the input files themselves, kept
in the deal's evidence store (so ``journal verify --evidence`` checks their bytes). The guard is
:func:`copact.core.service.settle_service`, run under the deal's write lock on the journal it
appends to; a period is settled once. Invoicing and review are commands of their own
(:class:`~copact.services.operations.IssueServiceInvoice`,
:class:`~copact.services.operations.ReviewServicePeriod`)::

    metered, outcome = record_period(ws, "hybrid-dc1", request, by="sam", clock=clock)
    outcome.events[0].amount          # 3800.00: the fee less a 5% availability credit
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from copact.core.events import SiteSettlement
from copact.services import operations as ops
from copact.services.inputs import Source, source_name
from copact.services.metering import MeterRequest, MeterResult, meter_period
from copact.services.uow import Outcome
from copact.services.workspace import Workspace

__all__ = ["keep_inputs", "record_period", "settlement_command"]


def _inputs(request: MeterRequest) -> list[tuple[str, Source]]:
    """(role, source) of each input file, in the order the inputs hash takes them."""
    files: list[tuple[str, Source]] = [("telemetry", t) for t in request.telemetry]
    for role in ("windows", "tickets", "deliveries"):
        source = getattr(request, role, None)
        if source is not None:
            files.append((role, source))
    return files


def _stream(source: Source) -> BinaryIO:
    if isinstance(source, Path):
        return source.open("rb")
    if isinstance(source.content, bytes):
        return io.BytesIO(source.content)
    source.content.seek(0)
    return source.content


def keep_inputs(
    workspace: Workspace, deal_id: str, request: MeterRequest, *, by: str
) -> tuple[str, ...]:
    """Store every input file of ``request`` in the deal's evidence store (kind: its role), so
    ``journal verify --evidence`` checks the files the settlement was metered from; returns
    their SHA-256, in order."""
    hashes = []
    for role, source in _inputs(request):
        stream = _stream(source)
        try:
            record = workspace.add_evidence(
                deal_id, stream, name=Path(source_name(source)).name, kind=role, by=by
            )
        finally:
            if isinstance(source, Path):
                stream.close()
        hashes.append(record.sha256)
    return tuple(dict.fromkeys(hashes))


def settlement_command(
    deal_id: str,
    metered: MeterResult,
    *,
    by: str,
    key: str | None = None,
    evidence: tuple[str, ...] = (),
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
        evidence=evidence,
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
    kept = keep_inputs(workspace, deal_id, request, by=by)
    command = settlement_command(deal_id, metered, by=by, key=key, evidence=kept)
    return metered, ops.execute(command, uow=workspace, clock=clock)
