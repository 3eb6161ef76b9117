from __future__ import annotations

from pathlib import Path

import pytest

from copact.core.deal import Deal
from copact.core.money import Money
from copact.dealfile.loader import load_deal

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES


def load_example(name: str) -> Deal:
    """A deal of ``examples/`` by file name, loaded and known to be valid."""
    deal = load_deal(EXAMPLES / name).deal
    assert deal is not None, f"{name} does not load"
    return deal


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")
