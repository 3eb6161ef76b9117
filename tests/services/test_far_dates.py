"""A day no deal reaches (an exit previewed on 9999-12-31, a contract year 9999 to true up, a
month 9999-12 to settle) is refused with the reason, as the project's RefusedCommand, instead
of failing the date arithmetic (OverflowError / ValueError: year 10000), which the web answered
with a 500. The bound is ``core.bounds.check_reach``: at most 100 years after the deal's
effective date (hybrid-dc1: 2026-06-01 → 2126-12-31), two years before it."""

from __future__ import annotations

from datetime import date

import pytest

from copact.core.bounds import check_reach
from copact.core.gainshare_periods import contract_year, year_months
from copact.core.service import settle_service
from copact.core.state import deal_state
from copact.core.volume import contract_year as volume_year
from copact.core.volume import year_label_of
from copact.errors import RefusedCommand
from copact.services import operations as ops
from copact.services.views import exit_preview
from copact.services.workspace import Workspace
from tests.conftest import load_example, run_events
from tests.services.test_gainshare_periods import DEAL_ID, ws  # noqa: F401
from tests.store.test_workspace import workspace  # noqa: F401  (the fixture)

HYBRID = load_example("hybrid-dc1.yaml")  # convenience exit with 60 days' notice


@pytest.mark.parametrize("trigger", ["convenience", "insolvency", "missed-milestone"])
def test_an_exit_preview_in_the_year_9999_is_refused_with_the_reason(
    ws: Workspace,  # noqa: F811
    trigger: str,
) -> None:
    with pytest.raises(RefusedCommand, match="an exit on 9999-12-31 is more than 100 years"):
        exit_preview(
            ws.deal(DEAL_ID),
            ws.events(DEAL_ID),
            trigger=trigger,
            on=date(9999, 12, 31),
            party="acme",
        )


def test_an_exit_preview_within_the_deals_reach_still_settles(ws: Workspace) -> None:  # noqa: F811
    preview = exit_preview(
        ws.deal(DEAL_ID),
        ws.events(DEAL_ID),
        trigger="convenience",
        on=date(2126, 10, 1),
        party="acme",
    )
    assert preview.open and preview.settlement is not None
    assert preview.settlement.effective == date(2126, 11, 30)  # 60 days' notice


def test_a_true_up_of_the_year_9999_is_refused_not_a_crash(ws: Workspace) -> None:  # noqa: F811
    with pytest.raises(
        RefusedCommand, match="contract year 9999, starting 9999-01-01 is more than 100 years"
    ):
        run_events(ws, ops.TrueUpGainshare(deal=DEAL_ID, year="9999"))


@pytest.mark.parametrize("year", ["٢٠٢٧", "0000", "2026"])
def test_a_contract_year_not_of_the_deal_is_refused(year: str) -> None:
    with pytest.raises(RefusedCommand, match="is not one of them"):
        year_months(HYBRID, year)


def test_a_month_in_the_year_9999_is_refused() -> None:
    with pytest.raises(RefusedCommand, match="the month starting 9999-12-01 is more than 100"):
        contract_year(HYBRID, "9999-12")


@pytest.mark.parametrize(
    "day", [date(9999, 12, 31), date(2127, 1, 1), date(1, 1, 1), date(2024, 5, 29)]
)
def test_the_reach_of_a_deal(day: date) -> None:
    with pytest.raises(RefusedCommand, match=r"years (after|before) the deal's effective date"):
        check_reach(HYBRID, day)
    check_reach(HYBRID, date(2126, 12, 31))
    check_reach(HYBRID, date(2024, 6, 1))


def test_a_volume_year_in_9999_is_refused_not_a_crash() -> None:
    heat = load_example("heat-sensor-housing.yaml")  # a volume commitment
    with pytest.raises(RefusedCommand, match=r"contract period 9999, starting .* 100 years"):
        volume_year(heat, "9999")
    assert year_label_of(heat, "9999-12") is None  # past any term: the fold asks too


def test_a_service_period_in_9999_is_refused_not_a_crash() -> None:
    state = deal_state(HYBRID, [], on=date(2027, 1, 1))
    with pytest.raises(RefusedCommand, match="the period 9999-12, starting on or after"):
        settle_service(
            HYBRID,
            state,
            period="9999-12",
            sites=[],
            inputs="x",
            flags=[],
            by="sam",
            at=date(2027, 1, 1),
        )


def test_a_notice_period_past_ten_years_is_an_e002_of_the_deal_file() -> None:
    from copact.dealfile.dump import amend
    from copact.dealfile.loader import load_text
    from tests.conftest import EXAMPLES

    text = (EXAMPLES / "hybrid-dc1.yaml").read_text()
    patch = {"exit": {"triggers": {"convenience": {"notice-days": 10**10}}}}
    loaded = load_text(amend(text, patch), "hybrid-dc1.yaml")
    assert [d.code for d in loaded.diagnostics] == ["E002"]
    assert "notice-days" in loaded.diagnostics[0].message
