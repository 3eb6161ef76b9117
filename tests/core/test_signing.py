"""A deal binds once every party has signed the same version of its text (issue 15 §8):
hybrid-dc1 signed by Ana for Acme on version A, then changed before VoltWorks signed, and Sam
signs version B: not binding, the two signatures disagree; Ana signs B too and it binds from
that day. A party signs a version once; a signature without a version (an older journal)
agrees with any."""

from __future__ import annotations

from datetime import date

import pytest

from copact.core.commands import sign
from copact.core.deal import Deal
from copact.core.events import Event, Signed
from copact.core.state import deal_state
from copact.dealfile.loader import load_text
from copact.errors import RefusedCommand
from tests.conftest import EXAMPLES

A, B = "a" * 64, "b" * 64


def _deal() -> Deal:
    path = EXAMPLES / "hybrid-dc1.yaml"
    deal = load_text(path.read_text(encoding="utf-8"), str(path)).deal
    assert deal is not None
    return deal


def _sign(deal: Deal, events: list[Event], by: str, day: date, version: str | None) -> None:
    events += sign(deal, deal_state(deal, events, on=day), by=by, at=day, version=version)


def test_the_deal_binds_when_every_party_signed_the_same_version() -> None:
    deal, events = _deal(), []
    _sign(deal, events, "ana", date(2026, 5, 1), A)
    assert deal_state(deal, events, on=date(2026, 5, 1)).binding is None
    with pytest.raises(RefusedCommand, match="acme has already signed version aaaaaaaaaaaa"):
        _sign(deal, events, "ana", date(2026, 5, 2), A)
    _sign(deal, events, "sam", date(2026, 5, 3), B)
    assert deal_state(deal, events, on=date(2026, 5, 3)).binding is None
    _sign(deal, events, "ana", date(2026, 5, 4), B)
    bound = deal_state(deal, events, on=date(2026, 5, 4)).binding
    assert bound is not None and (bound.version, bound.day) == (B, date(2026, 5, 4))


def test_an_older_journals_signatures_without_a_version_bind() -> None:
    deal = _deal()
    day = date(2026, 5, 1)
    events: list[Event] = [Signed(at=day, deal=deal.id, by=["ana", "sam"])]
    bound = deal_state(deal, events, on=day).binding
    assert bound is not None and bound.version is None
    with pytest.raises(RefusedCommand, match="hybrid-dc1 is binding since 2026-05-01"):
        _sign(deal, events, "ana", day, A)  # bound: it changes by change orders now
    # before it binds, a signature without a version agrees with any: acme signed A already
    alone: list[Event] = [Signed(at=day, deal=deal.id, by=["ana"])]
    assert deal_state(deal, alone, on=day).binding is None
    with pytest.raises(RefusedCommand, match="acme has already signed"):
        _sign(deal, alone, "ana", day, A)
