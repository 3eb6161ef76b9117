"""A deal binds once every party has signed the same version of its text (issue 15 §8):
hybrid-dc1 signed by Ana for Acme on version A, then changed before VoltWorks signed, and Sam
signs version B: not binding, the two signatures disagree; Ana signs B too and it binds from
that day. A party signs a version once; a signature without a version (an older journal)
agrees with any."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from copact.core.commands import sign
from copact.core.deal import Deal
from copact.core.events import Event, Signed
from copact.core.state import RunningFold, binding_of, deal_state
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


def test_a_running_folds_binding_follows_each_signature() -> None:
    """An import asks every line's state whether the deal binds; the fold answers from what it
    kept since the last signature, and must answer as the signatures themselves do: not
    binding on disagreeing versions, binding from the last party's signature of one version."""
    deal, events = _deal(), []
    running = RunningFold(deal)
    seen: list[str | None] = []
    for by, day, version in [
        ("ana", date(2026, 5, 1), A),
        ("sam", date(2026, 5, 3), B),
        ("ana", date(2026, 5, 4), B),
    ]:
        before = len(events)
        _sign(deal, events, by, day, version)
        for event in events[before:]:
            running.push(event)
        kept = running.state_on(day)
        assert kept.binding == binding_of(deal, kept.signatures)
        assert kept.binding == deal_state(deal, events, on=day).binding
        seen.append(kept.binding.version if kept.binding else None)
    assert seen == [None, None, B]
    earlier = replace(running.state_on(date(2026, 5, 4)), signatures={})  # a state made anew
    assert earlier.binding is None


def test_a_deal_copied_with_other_people_finds_them() -> None:
    """People are looked up by id from an index made once per deal; a copy of the deal with
    other people (as tests and previews make) is not answered from the copied index."""
    deal = _deal()
    assert deal.person("sam") is not None and deal.person("nobody") is None
    fewer = deal.model_copy(update={"people": [p for p in deal.people if p.id != "sam"]})
    assert fewer.person("sam") is None
    assert fewer.person("ana") == deal.person("ana")
    assert fewer == fewer.model_copy() and deal != fewer
