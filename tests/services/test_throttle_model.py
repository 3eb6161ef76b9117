"""The throttle in the database against a plain model of it: for any run of sign-in attempts
(accounts, addresses, devices, right or wrong passwords, the clock moving), the database lets
through exactly the attempts the model does: a refused attempt moves no counter, a wait
doubles after the free attempts up to the longest, and a counter left alone starts over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from copact.services.account_settings import AccountSettings
from copact.services.throttle import Throttle, Throttled
from copact.store.engine import migrate, open_engine

S = AccountSettings(
    login_free_failures=2,
    login_account_free_failures=3,
    login_address_free_failures=4,
    login_max_delay=timedelta(seconds=8),
    login_forget=timedelta(seconds=60),
)


@dataclass
class Model:
    rows: dict[tuple[str, str], tuple[int, datetime, datetime]] = field(default_factory=dict)

    def delay(self, n: int, free: int) -> timedelta:
        return (
            timedelta(0) if n < free else min(timedelta(seconds=2 ** (n - free)), S.login_max_delay)
        )

    def take(self, counters: list[tuple[str, str, int]], now: datetime) -> bool:
        updates = {}
        for scope, key, free in counters:
            row = self.rows.get((scope, key))
            if row is None:
                n = 1
            else:
                attempts, last, ready = row
                stale = last <= now - S.login_forget
                if not (ready <= now or stale):
                    return False
                n = 1 if stale else attempts + 1
            updates[(scope, key)] = (n, now, now + self.delay(n, free))
        self.rows.update(updates)
        return True

    def succeeded(self, counters: list[tuple[str, str, int]]) -> None:
        for scope, key, _ in counters:
            if scope == "address":
                if (scope, key) in self.rows:
                    n, last, ready = self.rows[(scope, key)]
                    self.rows[(scope, key)] = (max(0, n - 1), last, ready)
            else:
                self.rows.pop((scope, key), None)


steps = st.lists(
    st.tuples(
        st.sampled_from(["ana", "raj"]),
        st.sampled_from(["10.0.0.1", "10.0.0.2"]),
        st.sampled_from([None, "device-a"]),
        st.booleans(),  # the password is right
        st.integers(min_value=0, max_value=20),  # seconds the clock moves first
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=steps)
def test_the_database_throttle_lets_through_what_the_model_does(
    tmp_path_factory: object, steps: list[tuple[str, str, str | None, bool, int]]
) -> None:
    root = tmp_path_factory.mktemp("throttle")  # type: ignore[attr-defined]
    engine = open_engine(f"sqlite:///{root}/t.db")
    migrate(engine)
    now = [datetime(2026, 7, 1, tzinfo=UTC)]
    throttle = Throttle(engine, S, lambda: now[0])
    model = Model()
    try:
        for user, ip, device, right, wait in steps:
            now[0] += timedelta(seconds=wait)
            counters = throttle.counters(user, ip, device=device)
            plain = [(c.scope, c.key, c.free) for c in counters]
            try:
                throttle.take(counters)
                allowed = True
            except Throttled as exc:
                allowed = False
                assert exc.retry_after >= 1
            assert allowed == model.take(plain, now[0])
            if allowed and right:
                throttle.succeeded(counters)
                model.succeeded(plain)
    finally:
        engine.dispose()
