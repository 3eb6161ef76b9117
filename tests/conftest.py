from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from copact.core.deal import Deal
from copact.core.events import Event
from copact.core.money import Money
from copact.core.state import deal_state
from copact.dealfile.loader import load_deal
from copact.services.uow import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


class DayClock:
    """A clock the test sets by hand: 09:00 UTC of a day, moved to another day or by days."""

    def __init__(self, day: date, hour: int = 9) -> None:
        self.hour = hour
        self.on(day)

    def __call__(self) -> datetime:
        return self.now

    def on(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, self.hour, 0, tzinfo=UTC)

    def advance(self, days: int) -> None:
        self.now += timedelta(days=days)


def load_example(name: str) -> Deal:
    """A deal of ``examples/`` by file name, loaded and known to be valid."""
    deal = load_deal(EXAMPLES / name).deal
    assert deal is not None, f"{name} does not load"
    return deal


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def run_command(
    uow: UnitOfWork, deal_id: str, command: Callable[..., list[Event]], **kwargs: Any
) -> list[Event]:
    """A command of ``core.commands`` on the deal's state now, through ``uow.execute`` without
    an idempotency key: how a test sets a journal up without the service's command values.

    ``run_command(ws, "heat-sensor-housing", commands.pay, payer="ridgeline", ...)``"""

    def decide(deal: Deal, history: list[Event], now: datetime) -> list[Event]:
        return command(deal, deal_state(deal, history, on=now.date()), at=now, **kwargs)

    return uow.execute(deal_id, decide, key=None, request={}).events


def signatories(deal: Deal) -> list[str]:
    """The first person of each party, in the deal's order: who signs in the tests."""
    return [next(p.id for p in deal.people if p.party == party.id) for party in deal.parties]


def sign_deal(
    uow: UnitOfWork, deal_id: str, *, clock: Callable[[], datetime] | None = None
) -> None:
    """A person of each party signs the deal as it stands, through the service as `copact sign`
    does: the deal binds, so it can operate (nothing operates an unsigned deal)."""
    from copact.services import operations as ops

    for person in signatories(uow.deal(deal_id)):
        ops.execute(ops.Sign(deal=deal_id, by=person), uow=uow, clock=clock)


def cli_sign(workspace: str | Path, deal_id: str) -> None:
    """A person of each party signs the workspace's deal with `copact sign DEAL --by PERSON`,
    as the parties do before they operate it. A deal whose example journal starts with its
    signatures (heat-sensor-housing) takes those lines instead (`copact journal import`), so a
    later import of the whole example journal finds them held and appends the rest."""
    from typer.testing import CliRunner

    from copact.cli.app import app
    from copact.services.uow import system_clock
    from copact.services.workspace import Workspace

    runner = CliRunner()
    example = EXAMPLES / "journals" / f"{deal_id}.jsonl"
    if example.exists():
        signed = [ln for ln in example.read_text().splitlines(True)[:2] if '"signed"' in ln]
        part = Path(workspace).parent / f"{deal_id}-signatures.jsonl"
        part.write_text("".join(signed))
        args = ["journal", "import", str(part), "--deal", deal_id, "-w", str(workspace)]
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
        return
    ws = Workspace.open(Path(workspace), clock=system_clock, readonly=True)
    deal = ws.deal(deal_id)
    ws.engine.dispose()
    for person in signatories(deal):
        done = runner.invoke(app, ["sign", deal_id, "--by", person, "-w", str(workspace)])
        assert done.exit_code == 0, done.output


def paying_milestones(text: str, payments: tuple[int, ...] = (20, 30, 30, 20)) -> str:
    """A starter's text whose milestones pay ``payments`` % of value in turn: the cost-plus
    starter's milestones pay nothing (its costs are the price); this is the variant whose
    milestones release the costs themselves."""
    shares = iter(payments)
    text = re.sub(r"payment: \d+%[^\n]*", lambda _: f"payment: {next(shares)}%", text)
    assert next(shares, None) is None, "as many payments as milestones"
    return text


def cli_ok(*args: str) -> str:
    """`copact ARGS` through typer's runner: it exits 0 without a traceback; its output."""
    from typer.testing import CliRunner

    from copact.cli.app import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, f"copact {' '.join(args)}:\n{result.output}"
    assert "Traceback" not in result.output
    return result.output


def cli_refused(*args: str) -> str:
    """`copact ARGS` is refused: exit 1, a message and no traceback; its output with each run
    of white space (the terminal's line breaks) made one space."""
    from typer.testing import CliRunner

    from copact.cli.app import app

    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 1, f"copact {' '.join(args)}:\n{result.output}"
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def run_events(uow: UnitOfWork, command: Any) -> list[Event]:
    """A service command (``copact.services.operations``) executed on ``uow`` with its own
    clock; the events it appended."""
    from copact.services import operations as ops

    return list(ops.execute(command, uow=uow, clock=getattr(uow, "clock", None)).events)
