"""Maintenance windows and exclusions as journal events (DESIGN §6.1): recorded by the buyer,
for a site of the SLA, a span that ends after it starts, with its offsets kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from copact.core import commands
from copact.core.events import (
    Event,
    Signed,
    WindowRecorded,
    canonical_json,
    dumps_events,
    parse_events,
)
from copact.core.state import deal_state
from copact.errors import RefusedCommand
from copact.metering.windows import journal_windows
from copact.services.operations import admit
from copact.services.views import view_of
from copact.services.views_json import state_json
from tests.conftest import load_example

HYBRID = load_example("hybrid-dc1.yaml")
EST = timezone(timedelta(hours=-5))
START = datetime(2027, 3, 10, 2, tzinfo=EST)
END = datetime(2027, 3, 10, 4, tzinfo=EST)
ON = date(2027, 3, 1)


def _record(**changes: object) -> list[WindowRecorded]:
    given: dict[str, object] = {
        "site": "dc1",
        "start": START,
        "end": END,
        "kind": "planned",
        "by": "ana",
        "note": "battery firmware",
        "at": ON,
    }
    given.update(changes)
    return commands.record_window(HYBRID, deal_state(HYBRID, [], on=ON), **given)  # type: ignore[arg-type]


def test_the_buyer_records_a_window_and_the_state_lists_it() -> None:
    (event,) = _record()
    state = deal_state(HYBRID, [event], on=ON)
    (listed,) = state_json(view_of(state, [event]))["windows"]
    assert listed == {
        "site": "dc1",
        "start": "2027-03-10T02:00:00-05:00",
        "end": "2027-03-10T04:00:00-05:00",
        "kind": "planned",
        "by": "ana",
        "note": "battery firmware",
        "recorded_on": "2027-03-01",
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"by": "sam"}, "approved by the buyer"),  # the supplier cannot narrow its own SLA
        ({"by": "nobody"}, "not a person"),
        ({"site": "dc9"}, "not a site of the SLA"),
        ({"end": START}, "ends after it starts"),
        ({"start": datetime(2027, 3, 10, 2)}, "offset"),
        ({"kind": "holiday"}, "planned"),
    ],
)
def test_a_window_that_does_not_fit_is_refused(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(RefusedCommand, match=reason):
        _record(**changes)


def test_windows_round_trip_the_journal_and_name_their_version() -> None:
    events = _record() + _record(
        kind="excluded", start=START + timedelta(days=3), end=END + timedelta(days=3)
    )
    text = dumps_events(events)
    parsed, problems = parse_events(text, "journal.jsonl")
    assert not problems
    assert [canonical_json(e) for e in parsed] == [canonical_json(e) for e in events]
    windows, digest = journal_windows(parsed)
    assert [(w.kind, w.end_ms - w.start_ms) for w in windows] == [
        ("planned", 7_200_000),
        ("excluded", 7_200_000),
    ]
    assert windows[0].start_ms == int(START.astimezone(UTC).timestamp() * 1000)
    # another window is another version of the input
    assert journal_windows(parsed[:1])[1] != digest
    assert journal_windows(parsed)[1] == digest


def test_a_journal_with_a_suppliers_window_is_refused_on_replay() -> None:
    (event,) = _record()
    forged = event.model_copy(update={"by": "sam"})
    # a journal of the deal signed by a person of each party: it binds, so it operates
    signed: list[Event] = [Signed(at=ON, deal=HYBRID.id, by=[who]) for who in ("ana", "sam")]
    with pytest.raises(RefusedCommand, match="approved by the buyer"):
        admit(HYBRID, signed, forged)
