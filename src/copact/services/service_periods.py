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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from copact.core.events import ServiceSettled, SiteSettlement
from copact.errors import CopactError
from copact.services import operations as ops
from copact.services.inputs import InputFile, Source, source_name
from copact.services.metering import MeterRequest, MeterResult, meter_period
from copact.services.uow import Outcome
from copact.services.workspace import Workspace

__all__ = ["Remetered", "keep_inputs", "record_period", "remeter", "settlement_command"]


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


@dataclass(frozen=True)
class Remetered:
    """A settled period metered again from the files it kept: ``problem`` says how the
    figures differ from the journal's, ``None`` when they are the same."""

    period: str
    seq: int  # the settlement's event number in the journal
    problem: str | None = None


def remeter(workspace: Workspace, deal_id: str) -> list[Remetered]:
    """Meter every settled period of the deal again from the input files its settlement kept
    (the journal's windows as they stood then) and compare the inputs' hash and each site's
    fee, credits, bonuses and amount with what the journal recorded: what prices a service
    invoice is checked by ``journal verify``, not only its files' bytes. A period whose files
    this workspace does not hold (or that are altered: the evidence check names them) is
    skipped. The deal's current version is used (its SLA is what bills)."""
    deal = workspace.deal(deal_id)
    events = workspace.events(deal_id)
    found: list[Remetered] = []
    for seq, event in enumerate(events, start=1):
        if not isinstance(event, ServiceSettled) or not event.evidence:
            continue
        if any(workspace.blobs.check(r.sha256) != "ok" for r in event.evidence):
            continue
        handles = [workspace.blobs.open(r.sha256) for r in event.evidence]
        try:
            files: dict[str, list[InputFile]] = {}
            for ref, handle in zip(event.evidence, handles, strict=True):
                files.setdefault(ref.kind, []).append(InputFile(ref.name, handle))
            request = MeterRequest(
                telemetry=tuple(files.get("telemetry", ())),
                period=event.period,
                windows=_first(files, "windows"),
                tickets=_first(files, "tickets"),
                deliveries=_first(files, "deliveries"),
            )
            try:
                metered = meter_period(deal, request, journal=events[: seq - 1])
            except CopactError as exc:
                found.append(Remetered(event.period, seq, f"it no longer meters: {exc}"))
                continue
        finally:
            for handle in handles:
                handle.close()
        again = settlement_command(deal_id, metered, by=event.by)
        said = [(s.site, s.fee, s.credits, s.bonuses, s.amount) for s in event.sites]
        ours = [(s.site, s.fee, s.credits, s.bonuses, s.amount) for s in again.sites]
        problem = None
        if sorted(said) != sorted(ours):
            problem = (
                f"its kept files settle {_amounts(again.sites)}; the journal says "
                f"{_amounts(event.sites)}"
            )
        elif metered.inputs_hash != event.inputs:
            problem = (
                f"its kept files hash to {metered.inputs_hash}; the journal says {event.inputs}"
            )
        found.append(Remetered(event.period, seq, problem))
    return found


def _first(files: dict[str, list[InputFile]], kind: str) -> InputFile | None:
    given = files.get(kind)
    return given[0] if given else None


def _amounts(sites: Sequence[SiteSettlement]) -> str:
    return ", ".join(f"{s.site} {s.amount:,.2f}" for s in sites)
