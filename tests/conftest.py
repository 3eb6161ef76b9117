from __future__ import annotations

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
