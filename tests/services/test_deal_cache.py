"""Reading a deal: parsed once per text, in a cache of bounded size; within one request, its
text read from the database once per version; outside a request, read and checked against
its recorded hash every time (an edited text is refused on every read: tests/store/test_tamper).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from copact.core.changes import approve_change, propose_change
from copact.core.commands import pay
from copact.core.deal import Deal
from copact.core.events import Event
from copact.core.state import DealState, deal_state
from copact.services import deal_cache
from copact.services.workspace import Workspace
from copact.store.journal import VersionAltered
from tests.conftest import EXAMPLES, run_command, sign_deal

DEAL_ID = "heat-sensor-housing"
TEXT = (EXAMPLES / "heat-sensor-housing.yaml").read_text()


def _clock() -> datetime:
    return datetime(2026, 9, 1, 10, tzinfo=UTC)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ws", database=None, clock=_clock)
    workspace.add_deal(TEXT, "heat-sensor-housing.yaml")
    yield workspace
    workspace.engine.dispose()


def _text_reads(ws: Workspace) -> list[str]:
    """Every statement from now on that reads a deal version's text."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "deal_versions.text" in statement:
            seen.append(statement)

    sa.event.listen(ws.engine, "before_cursor_execute", count)
    return seen


def _approved_change(ws: Workspace) -> None:
    """A change order of 45-day payment terms, proposed by the supplier, approved by the buyer:
    version 2 of the deal."""

    def change(deal: Deal, state: DealState, *, at: datetime, by: str) -> list[Event]:
        if "co-1" not in state.changes:
            patch = {"payment-terms": 45}
            return list(
                propose_change(
                    deal,
                    state.changes,
                    change="co-1",
                    amount=Decimal(7500),
                    patch=patch,
                    by=by,
                    at=at,
                )
            )
        return list(approve_change(deal, state.changes, change="co-1", by=by, at=at))

    run_command(ws, DEAL_ID, change, by="luis")
    run_command(ws, DEAL_ID, change, by="hannah")
    assert len(ws.versions(DEAL_ID)) == 2


def test_a_text_is_parsed_once() -> None:
    assert deal_cache.parsed_deal(TEXT, DEAL_ID) is deal_cache.parsed_deal(TEXT, DEAL_ID)


def test_the_cache_keeps_at_most_maxsize_deals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deal_cache, "MAXSIZE", 3)
    texts = [TEXT.replace("title: ", f"title: take {n} of ", 1) for n in range(5)]
    deals = [deal_cache.parsed_deal(text, DEAL_ID) for text in texts]
    assert len(deal_cache._PARSED) == 3
    assert deal_cache.parsed_deal(texts[-1], DEAL_ID) is deals[-1]  # the latest are kept
    assert deal_cache.parsed_deal(texts[0], DEAL_ID) is not deals[0]  # the oldest went first


def test_within_a_request_the_text_is_read_once_per_version(ws: Workspace) -> None:
    reads = _text_reads(ws)
    with ws.request():
        first = ws.deal(DEAL_ID)
        assert ws.deal(DEAL_ID) is first and ws.deal(DEAL_ID) is first
        assert len(reads) == 1
        _approved_change(ws)
        before = len(reads)
        amended = ws.deal(DEAL_ID)  # a new version: read once more
        assert amended.payment_terms == 45 and ws.deal(DEAL_ID) is amended
        assert len(reads) == before + 1


def test_outside_a_request_every_read_reads_the_text(ws: Workspace) -> None:
    reads = _text_reads(ws)
    assert ws.deal(DEAL_ID) is ws.deal(DEAL_ID)  # parsed once all the same
    assert len(reads) == 2


def test_a_command_inside_a_request_still_refuses_an_edited_text(ws: Workspace) -> None:
    with ws.request():
        ws.deal(DEAL_ID)
        with ws.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE deal_versions SET text = replace(text, '185000', '285000')")
            )
        with pytest.raises(VersionAltered):  # it reads the text under the deal's lock
            run_command(
                ws,
                DEAL_ID,
                pay,
                payer="ridgeline",
                payee="kestrel",
                amount=Decimal("100"),
                ref="P1",
                by="hannah",
            )
        assert ws.events(DEAL_ID) == []
    with pytest.raises(VersionAltered):  # and the request over, every read refuses it
        ws.deal(DEAL_ID)


def test_a_command_reads_what_it_guards_on_once(ws: Workspace) -> None:
    """A command on the web is one request: the deal read for the access check, then under the
    lock the idempotency key, the deal's text, and the journal with its head, each once (each
    statement is a round trip to a database server; the API's throughput is counted in them).
    """
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()))

    sign_deal(ws, DEAL_ID)

    def decide(deal: Deal, history: list[Event], now: datetime) -> list[Event]:
        state = deal_state(deal, history, on=now.date())
        return pay(
            deal, state, payer="ridgeline", payee="kestrel", amount=Decimal("100"), ref="P1",
            by="hannah", at=now,
        )  # fmt: skip

    with ws.request():
        ws.deal(DEAL_ID)  # the access check
        sa.event.listen(ws.engine, "before_cursor_execute", seen)
        ws.execute(DEAL_ID, decide, key="pay-1", request={"ref": "P1"})
    reads = [s for s in statements if s.startswith("SELECT")]
    assert sum("FROM idempotency" in s for s in reads) == 1  # under the lock only
    assert sum("deal_versions.text" in s for s in reads) == 1
    assert sum("FROM events" in s for s in reads) == 1  # the events and the head together
    assert [e.type for e in ws.events(DEAL_ID)][-1] == "payment"
