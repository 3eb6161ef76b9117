"""The access log through the services on a real workspace database (SQLite, and PostgreSQL
when one answers): acme's owner opens voltworks' confidential test report in hybrid-dc1, a
stranger knocks at the deal, and each party reads back only what concerns it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from copact.services.access_log import AccessLog, to_csv
from copact.services.accounts import Principal
from copact.services.workspace import Workspace
from tests.store.test_workspace import PG_URL, _postgres_schema

ANA = Principal("u1", "ana", "Ana Ortiz", "acme", "owner", "ana")
SAM = Principal("u2", "sam", "Sam Lee", "voltworks", "account", "sam")
MARCUS = Principal("u3", "marcus", "Marcus Bell", "ridgeline", "acceptor", "marcus")
DEAL = "hybrid-dc1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every entry a second after the one before
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccessLog]:
    schema = None
    database = None
    if request.param == "postgresql":
        schema = _postgres_schema()
        if schema is None:
            pytest.skip(
                "no PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test)"
            )
        database = f"{PG_URL}?options=-csearch_path%3D{schema}"
    clock = Clock()
    ws = Workspace.init(tmp_path / "ws", database=database, clock=clock)
    yield AccessLog(ws.engine, clock)
    ws.engine.dispose()
    if schema is not None:
        with sa.create_engine(PG_URL).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def _story(log: AccessLog) -> None:
    log.log(
        ANA,
        action="evidence.read",
        obj="evidence 9f2c (fat-report.pdf)",
        outcome="read",
        ip="203.0.113.7",
        deal=DEAL,
        concerns="voltworks",
        detail="confidential to voltworks, submitted for its decision",
    )
    log.log(
        MARCUS,
        action="deal.read",
        obj=f"deal {DEAL}",
        outcome="refused",
        ip="198.51.100.4",
        deal=DEAL,
        concerns="*",
        detail="party ridgeline is not a party of the deal",
    )
    log.log(
        None,
        action="sign-in.required",
        obj="GET /deals",
        outcome="refused",
        ip="192.0.2.1",
        detail="no session",
    )
    log.log(
        SAM, action="csrf", obj="POST /logout", outcome="refused", ip=None, concerns="voltworks"
    )


def test_each_party_reads_what_concerns_it_newest_first(log: AccessLog) -> None:
    _story(log)
    theirs = log.entries("voltworks", deals={DEAL})
    assert [(e.username, e.action) for e in theirs] == [
        ("sam", "csrf"),  # its own user, outside any deal
        ("marcus", "deal.read"),  # a stranger at a deal of theirs concerns every party in it
        ("ana", "evidence.read"),  # a read of their confidential file
    ]
    ours = log.entries("acme", deals={DEAL})
    assert [(e.username, e.action) for e in ours] == [
        ("marcus", "deal.read"),
        ("ana", "evidence.read"),  # acme did it
    ]
    assert ours[1].ip == "203.0.113.7" and ours[1].outcome == "read"
    # ridgeline's own refusal is in a deal it is not in: it does not read hybrid-dc1's log
    assert log.entries("ridgeline", deals={"heat-sensor-housing"}) == []
    # an anonymous request outside any deal is no party's to read
    assert all(e.username for p in ("acme", "voltworks") for e in log.entries(p, deals={DEAL}))


def test_the_entries_of_one_deal(log: AccessLog) -> None:
    _story(log)
    assert [e.action for e in log.entries("voltworks", deals={DEAL}, deal=DEAL)] == [
        "deal.read",
        "evidence.read",
    ]
    assert log.entries("voltworks", deals={DEAL}, deal="heat-sensor-housing") == []


def test_an_entry_is_cut_to_what_its_columns_hold(log: AccessLog) -> None:
    log.log(
        ANA,
        action="deal.read",
        obj="x" * 2000,
        outcome="refused",
        ip="1" * 100,
        deal=DEAL,
        concerns="acme",
        detail="y" * 5000,
    )
    (entry,) = log.entries("acme", deals={DEAL})
    assert (len(entry.object), len(entry.detail), len(entry.ip or "")) == (500, 1000, 64)


def test_the_csv_names_nobody_anonymous_and_runs_no_formula(log: AccessLog) -> None:
    log.log(
        None,
        action="sign-in.required",
        obj="=HYPERLINK(1)",
        outcome="refused",
        ip=None,
        deal=DEAL,
        concerns="*",
    )
    log.log(ANA, action="deal.read", obj="deal x", outcome="refused", ip="10.0.0.1", detail="@x")
    rows = list(csv.reader(io.StringIO(to_csv(log.entries("acme", deals={DEAL})))))
    assert rows[0] == ["at", "user", "party", "deal", "action", "object", "outcome", "ip", "detail"]
    assert [row[1:] for row in rows[1:]] == [
        ["ana", "acme", "", "deal.read", "deal x", "refused", "10.0.0.1", "'@x"],
        ["anonymous", "", DEAL, "sign-in.required", "'=HYPERLINK(1)", "refused", "", ""],
    ]
