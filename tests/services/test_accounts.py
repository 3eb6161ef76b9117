"""The accounts use cases on a real workspace database (SQLite, and PostgreSQL when one answers),
without the web app: Raj of acme is given a one-time password, signs in, picks his own, opens
sessions that time out, gets an API token for a script and loses it again; a guesser is slowed
down by the throttle before any password is checked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type

from copact.services.accounts import (
    AccountError,
    Accounts,
    AccountSettings,
    Throttled,
)
from copact.services.workspace import Workspace
from copact.store import accounts as db
from copact.store.tables import api_tokens, sessions, users
from tests.store.test_workspace import PG_URL, _postgres_schema

ISSUED = "issued-by-admin-1"
OWN = "raj's own passphrase"
OFFICE = "203.0.113.7"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Setup:
    workspace: Workspace
    clock: Clock
    accounts: Accounts


@pytest.fixture(params=["sqlite", "postgresql"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    clock = Clock()
    schema = None
    database = None
    if request.param == "postgresql":
        schema = _postgres_schema()
        if schema is None:
            pytest.skip(
                "no PostgreSQL server answers on 127.0.0.1:5432 (trust auth, database test)"
            )
        database = f"{PG_URL}?options=-csearch_path%3D{schema}"
    ws = Workspace.init(tmp_path / "ws", database=database, clock=clock)
    accounts = Accounts(ws.engine, AccountSettings(), clock)
    accounts.create_user(
        username="raj", name="Raj Patel", party="acme", role="finance", password=ISSUED
    )
    yield Setup(ws, clock, accounts)
    ws.engine.dispose()
    if schema is not None:
        with sa.create_engine(PG_URL).begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


def _count(ws: Workspace, table: sa.Table) -> int:
    with ws.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# -- users and issued passwords --


def test_an_issued_password_signs_in_once_to_the_change_page(setup: Setup) -> None:
    signed = setup.accounts.sign_in("raj", ISSUED, ip=OFFICE)
    assert signed is not None
    who = signed.principal
    assert (who.username, who.party, who.role) == ("raj", "acme", "finance")
    assert who.must_change_password  # issued: he picks his own first
    assert signed.device is not None  # a browser that signed in gets its own sign-in budget
    assert setup.accounts.session(signed.session_id) == who


def test_a_wrong_password_or_unknown_user_opens_nothing(setup: Setup) -> None:
    assert setup.accounts.sign_in("raj", "not his password", ip=OFFICE) is None
    assert setup.accounts.sign_in("nobody", ISSUED, ip=OFFICE) is None
    assert _count(setup.workspace, sessions) == 0


def test_users_are_refused_for_a_taken_name_an_unknown_role_or_a_short_password(
    setup: Setup,
) -> None:
    a = setup.accounts
    with pytest.raises(AccountError, match="already a user 'raj'"):
        a.create_user(username="raj", name="R", party="acme", role="finance", password=ISSUED)
    with pytest.raises(AccountError, match="unknown role 'king'"):
        a.create_user(username="k", name="K", party="acme", role="king", password=ISSUED)
    with pytest.raises(AccountError, match="at least 12 characters"):
        a.create_user(username="s", name="S", party="acme", role="owner", password="short")
    assert a.user_exists("raj") and not a.user_exists("k") and not a.user_exists("s")


def test_a_new_issued_password_ends_every_session(setup: Setup) -> None:
    a = setup.accounts
    first = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert first is not None
    a.set_password("raj", "second-issued-pw")
    assert a.session(first.session_id) is None
    assert a.sign_in("raj", ISSUED, ip=OFFICE) is None
    again = a.sign_in("raj", "second-issued-pw", ip=OFFICE)
    assert again is not None and again.principal.must_change_password
    with pytest.raises(AccountError, match="no user 'nobody'"):
        a.set_password("nobody", "second-issued-pw")


# -- one's own password --


def test_raj_picks_his_own_password_and_only_the_new_session_lives(setup: Setup) -> None:
    a = setup.accounts
    other = a.sign_in("raj", ISSUED, ip=OFFICE)
    here = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert other is not None and here is not None
    changed = a.change_password(here.principal, current=ISSUED, new=OWN, confirm=OWN, ip=OFFICE)
    assert not changed.principal.must_change_password
    assert changed.session_id != here.session_id
    assert a.session(other.session_id) is None and a.session(here.session_id) is None
    now = a.session(changed.session_id)
    assert now is not None and not now.must_change_password
    assert a.sign_in("raj", ISSUED, ip=OFFICE) is None
    assert a.sign_in("raj", OWN, ip=OFFICE) is not None


@pytest.mark.parametrize(
    ("current", "new", "confirm", "says"),
    [
        (ISSUED, OWN, OWN + "!", "differ; type it twice"),
        (ISSUED, "too short", "too short", "at least 12 characters"),
        ("not the current one", OWN, OWN, "current password is not right"),
        (ISSUED, ISSUED, ISSUED, "must differ from the current one"),
    ],
)
def test_a_password_change_is_refused_with_the_reason(
    setup: Setup, current: str, new: str, confirm: str, says: str
) -> None:
    signed = setup.accounts.sign_in("raj", ISSUED, ip=OFFICE)
    assert signed is not None
    with pytest.raises(AccountError, match=says):
        setup.accounts.change_password(
            signed.principal, current=current, new=new, confirm=confirm, ip=OFFICE
        )
    assert setup.accounts.session(signed.session_id) is not None  # nothing changed


def test_a_token_cannot_change_the_password(setup: Setup) -> None:
    who = setup.accounts.token(setup.accounts.create_token("raj", "export"))
    assert who is not None
    with pytest.raises(AccountError, match="sign in with your password"):
        setup.accounts.change_password(who, current=ISSUED, new=OWN, confirm=OWN, ip=OFFICE)


def test_a_hash_made_with_weaker_parameters_is_upgraded_at_sign_in(setup: Setup) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    with setup.workspace.engine.begin() as conn:
        user_id = db.user_id(conn, "raj")
        assert user_id is not None
        db.set_password_hash(conn, user_id, weak.hash(ISSUED))
    assert setup.accounts.sign_in("raj", ISSUED, ip=OFFICE) is not None
    with setup.workspace.engine.connect() as conn:
        stored = db.password_hash(conn, user_id)
    assert stored is not None and "m=65536,t=3,p=1" in stored


# -- sessions --


def test_a_session_ends_after_30_idle_minutes_or_12_hours(setup: Setup) -> None:
    a, clock = setup.accounts, setup.clock
    idle = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert idle is not None
    clock.advance(timedelta(minutes=31))
    assert a.session(idle.session_id) is None  # and its row is gone
    assert _count(setup.workspace, sessions) == 0

    busy = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert busy is not None
    views = 0  # a page every 20 minutes keeps it alive, for 12 hours at most
    for _ in range(100):
        clock.advance(timedelta(minutes=20))
        if a.session(busy.session_id) is None:
            break
        views += 1
    assert views == 36


def test_sign_out_and_end_session_delete_the_row(setup: Setup) -> None:
    a = setup.accounts
    one, two = a.sign_in("raj", ISSUED, ip=OFFICE), a.sign_in("raj", ISSUED, ip=OFFICE)
    assert one is not None and two is not None
    a.sign_out(one.principal)
    a.end_session(two.session_id)
    assert a.session(one.session_id) is None and a.session(two.session_id) is None
    assert _count(setup.workspace, sessions) == 0


def test_only_digests_are_stored(setup: Setup) -> None:
    signed = setup.accounts.sign_in("raj", ISSUED, ip=OFFICE)
    token = setup.accounts.create_token("raj", "export")
    assert signed is not None
    with setup.workspace.engine.connect() as conn:
        kept = [
            *conn.execute(sa.select(sessions.c.id_hash)).scalars(),
            *conn.execute(sa.select(api_tokens.c.token_hash)).scalars(),
            *conn.execute(sa.select(users.c.password_hash)).scalars(),
        ]
    assert all(secret not in value for value in kept for secret in (signed.session_id, token))
    assert not any(ISSUED in value for value in kept)


# -- API tokens --


def test_a_token_acts_as_its_user_until_it_is_revoked(setup: Setup) -> None:
    a, clock = setup.accounts, setup.clock
    token = a.create_token("raj", "payments-export")
    assert token.startswith("cpt_")
    who = a.token(token)
    assert who is not None
    assert (who.username, who.party, who.via_token, who.session) == ("raj", "acme", True, None)
    assert not who.must_change_password  # an issued password does not hold a script up
    assert a.remembered(token) == who  # a script's burst costs one lookup

    # another process, which remembered the token, lets it go within token_cache seconds
    elsewhere = Accounts(setup.workspace.engine, AccountSettings(), clock)
    assert elsewhere.token(token) == who
    assert a.revoke_tokens("raj") == 1
    assert a.remembered(token) is None and a.token(token) is None
    assert elsewhere.token(token) == who
    clock.advance(timedelta(seconds=AccountSettings().token_cache + 1))
    assert elsewhere.token(token) is None
    assert a.revoke_tokens("raj") == 0 and a.revoke_tokens("nobody") == 0


def test_a_reset_revokes_the_tokens_only_when_told_and_a_disabled_user_has_no_way_in(
    setup: Setup,
) -> None:
    a = setup.accounts
    kept = a.create_token("raj", "payments-export")
    assert a.set_password("raj", "issued-by-admin-2") == 0  # a lost password: scripts go on
    assert a.token(kept) is not None
    assert a.set_password("raj", "issued-by-admin-3", revoke_tokens=True) == 1  # taken over
    assert a.token(kept) is None

    token = a.create_token("raj", "nightly")
    signed = a.sign_in("raj", "issued-by-admin-3", ip=OFFICE)
    assert signed is not None and a.session(signed.session_id) is not None
    assert a.disable("raj") == 1
    assert a.session(signed.session_id) is None
    assert a.token(token) is None
    assert a.sign_in("raj", "issued-by-admin-3", ip=OFFICE) is None
    with pytest.raises(AccountError, match="no user 'nobody'"):
        a.disable("nobody")


def test_a_token_is_refused_for_an_unknown_user_and_unknown_tokens_are_nobody(
    setup: Setup,
) -> None:
    with pytest.raises(AccountError, match="no user 'nobody'"):
        setup.accounts.create_token("nobody", "x")
    assert setup.accounts.token("cpt_made-up") is None
    assert setup.accounts.token("not-a-token") is None


# -- the throttle --


def test_a_guesser_gets_three_checks_then_waits_that_double(setup: Setup) -> None:
    a, clock = setup.accounts, setup.clock
    for _ in range(3):
        assert a.sign_in("raj", "guess", ip="198.51.100.9") is None
    with pytest.raises(Throttled) as waited:
        a.sign_in("raj", ISSUED, ip="198.51.100.9")  # not even the right one is checked
    assert waited.value.retry_after == 1
    clock.advance(timedelta(seconds=1))
    assert a.sign_in("raj", "guess", ip="198.51.100.9") is None  # the 4th: 2 s now
    with pytest.raises(Throttled) as longer:
        a.sign_in("raj", "guess", ip="198.51.100.9")
    assert longer.value.retry_after == 2
    clock.advance(timedelta(seconds=2))
    assert a.sign_in("raj", ISSUED, ip="198.51.100.9") is not None
    # a success starts the account's counters over
    for _ in range(3):
        assert a.sign_in("raj", "guess", ip="198.51.100.9") is None


def test_the_browser_raj_signed_in_from_keeps_its_own_budget(setup: Setup) -> None:
    a = setup.accounts
    signed = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert signed is not None and signed.device is not None
    for n in range(10):  # a guesser from many addresses spends the account's budget
        assert a.sign_in("raj", "guess", ip=f"198.51.100.{n}") is None
    with pytest.raises(Throttled):
        a.sign_in("raj", ISSUED, ip="198.51.100.99")
    again = a.sign_in("raj", ISSUED, ip=OFFICE, device=signed.device)
    assert again is not None and again.device is None  # known: no new cookie


def test_checking_the_current_password_counts_as_a_sign_in(setup: Setup) -> None:
    a = setup.accounts
    signed = a.sign_in("raj", ISSUED, ip=OFFICE)
    assert signed is not None
    for _ in range(3):
        with pytest.raises(AccountError):
            a.change_password(signed.principal, current="guess", new=OWN, confirm=OWN, ip=OFFICE)
    with pytest.raises(Throttled):
        a.change_password(signed.principal, current=ISSUED, new=OWN, confirm=OWN, ip=OFFICE)
