"""The sign-in throttle: how many password checks a guesser gets, counted in the database.

An attempt takes a slot in each of its counters *before* its password is checked. Taking a slot
is one ``UPDATE … SET attempts = attempts + 1 … WHERE next_allowed <= now RETURNING attempts``
(or, for a counter's first attempt, the ``INSERT`` its primary key serialises; the SQL is
``copact.store.throttle``), and all of an attempt's counters move in one transaction: sixteen
simultaneous guesses queue on the row, the first three pass and the other thirteen find the
wait already running (429) without a check.

After ``free`` attempts each next one waits 2^(n − free) seconds (1 s, 2 s, 4 s … up to
``login_max_delay``); a counter left alone for ``login_forget`` starts over. The counters:

=================  ====================================  =====================================
scope              counts                                free attempts (``AccountSettings``)
=================  ====================================  =====================================
``account+address`` one account from one address         ``login_free_failures`` (3)
``account``         one account from any address         ``login_account_free_failures`` (10)
``address``         any account from one address         ``login_address_free_failures`` (30)
``device``          one account from a browser that      ``login_free_failures`` (3)
                    signed in to it before
=================  ====================================  =====================================

Why a device counter: a per-account limit is what stops guessing from many addresses, but on
its own it would hand any stranger a way to lock the real user out. A browser that signed in
to the account once carries a device cookie (random, HttpOnly, stored hashed), and its attempts
count against that device alone: the guesser spends the account's budget, the user signs in
from their browser as before, and from a new browser after the wait, which backs off and ends
(at most ``login_max_delay``), never a lock-out for good.

A success clears its account counters; it gives its slot back to the address counter, so an
office behind one address is not throttled by its own people signing in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine

from copact.errors import CopactError
from copact.services.account_settings import AccountSettings
from copact.store import throttle as counters_table

__all__ = ["Counter", "Throttle", "Throttled"]


class Throttled(CopactError):
    """Too many failed sign-ins for this account or from this address: wait ``retry_after``
    seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Counter:
    scope: str
    key: str
    free: int


class Throttle:
    def __init__(
        self, engine: Engine, settings: AccountSettings, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock

    def counters(self, username: str, ip: str, *, device: str | None) -> list[Counter]:
        """The counters of an attempt to sign in as ``username`` from ``ip``; with ``device``
        (the digest of a device cookie known for the account), that device's alone."""
        s = self.settings
        if device is not None:
            return [Counter("device", device, s.login_free_failures)]
        return [
            Counter("account+address", f"{username}|{ip}", s.login_free_failures),
            Counter("account", username, s.login_account_free_failures),
            Counter("address", ip, s.login_address_free_failures),
        ]

    def delay(self, attempts: int, free: int) -> timedelta:
        """The wait after the ``attempts``-th attempt of a counter with ``free`` free ones."""
        over = attempts - free
        if over < 0:
            return timedelta(0)
        return min(timedelta(seconds=2 ** min(over, 20)), self.settings.login_max_delay)

    def take(self, counters: list[Counter]) -> None:
        """Count an attempt in every counter, or in none: raises :class:`Throttled` (and counts
        nothing) when one of them is still waiting."""
        now = self.clock()
        stale = now - self.settings.login_forget
        with self.engine.begin() as conn:
            for c in counters:  # always in the same order: no two attempts deadlock
                ready = counters_table.take(
                    conn,
                    c.scope,
                    c.key,
                    now=now,
                    forget_before=stale,
                    wait=partial(self.delay, free=c.free),
                )
                if ready is not None:  # the transaction rolls back: nothing was counted
                    seconds = (ready - now).total_seconds()
                    raise Throttled(max(1, int(seconds + 0.999)))

    def succeeded(self, counters: list[Counter]) -> None:
        """The password was right: the account's counters start over, and the address gets
        this attempt's slot back."""
        with self.engine.begin() as conn:
            for c in counters:
                if c.scope == "address":
                    counters_table.give_back(conn, c.scope, c.key)
                else:
                    counters_table.clear(conn, c.scope, c.key)
