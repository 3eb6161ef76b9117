"""The deal view settles a recorded exit on its one fold of the journal (run on to the day the
exit takes effect while the notice runs), with the figures a fresh fold gives.

heat-sensor-housing (tests/core/test_exit_claims.py): Ridgeline prepays 30,000, design-freeze
(14,800) is accepted on 2026-09-18 and Kestrel claims 9,000 of work after it; Hannah invokes a
convenience exit on 2026-10-01 with 60 days' notice, so it takes effect on 2026-11-30::

    unused = 30,000 − 14,800 = 15,200; claimed = 9,000; refund = 15,200 − 9,000 = 6,200
"""

from __future__ import annotations

from datetime import date

from copact.core.settlement import invoke_exit, settlement_of
from copact.services.views import deal_view
from tests.core.test_exit_claims import _journal
from tests.core.test_journal_state import HEAT


def test_the_view_settles_an_exit_on_its_one_fold_as_a_fresh_fold_does() -> None:
    journal = _journal(claim_first=False)
    invoked = date(2026, 10, 1)
    journal += invoke_exit(HEAT, journal, trigger="convenience", by="hannah", at=invoked)
    for today in (invoked, date(2026, 11, 29), date(2026, 11, 30), date(2027, 1, 15)):
        v = deal_view(HEAT, journal, today=today)
        assert v.exit is not None
        assert v.exit.effective == date(2026, 11, 30)
        assert v.exit.ended == (today >= date(2026, 11, 30)), today
        assert v.exit.settlement == settlement_of(HEAT, [e for e in journal if e.day <= today])
        assert str(v.exit.settlement.refund.amount) == "6200.00", today
