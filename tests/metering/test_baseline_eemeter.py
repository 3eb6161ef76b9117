"""copact's CalTRACK fit against OpenEEmeter 2.10.11 on the same meters.

The fixtures in tests/fixtures/eemeter/ were written by bench/eemeter_reference.py, which runs
eemeter's ``create_caltrack_daily_design_matrix`` + ``fit_caltrack_usage_per_day_model`` (and the
billing pair) in a separate virtual environment. Each meter was fitted with eemeter's default
p-value limit (1: CalTRACK 2.0, no screen) and with CalTRACK 1.0's screen (0.1); copact must pick
the same model form and balance points, find the same number of qualified candidates and agree
on coefficients to 1e-6.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from copact.core.mechanisms import BaselineModel
from copact.metering.baseline import fit_baseline
from copact.metering.baseline_data import BaselineData, read_baseline_data
from copact.metering.caltrack import BILLING, DAILY, CaltrackFit, fit_caltrack
from tests.conftest import FIXTURES

REFERENCE = FIXTURES / "eemeter"
METERS = sorted(p.stem for p in REFERENCE.glob("*.json"))
LIMITS = {"p1": 1.0, "p0.1": 0.1}
REL = 1e-6


def _reference(meter: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((REFERENCE / f"{meter}.json").read_text())
    return doc


def _kind(meter: str) -> str:
    return "caltrack-billing" if meter.startswith("billing") else "caltrack-daily"


def _data(meter: str) -> BaselineData:
    path = REFERENCE / f"{meter}.csv"
    model = BaselineModel(kind=_kind(meter))  # type: ignore[arg-type]
    data, problems = read_baseline_data(path.read_text(), str(path), model)
    assert problems == []
    assert data is not None
    return data


def _fit(meter: str, p_limit: float) -> CaltrackFit | None:
    data = _data(meter)
    rows = [r for r in data.rows if r.observed is not None and r.temperature_f is not None]
    days = np.array([r.days for r in rows], dtype=float)
    usage = np.array([r.observed for r in rows], dtype=float) / days
    temp = np.array([r.temperature_f for r in rows], dtype=float)
    billing = data.billing
    base = BILLING if billing else DAILY
    settings = replace(base, maximum_p_value=p_limit)
    return fit_caltrack(usage, temp, weights=days if billing else None, settings=settings)


def test_there_are_at_least_three_daily_meters_and_every_form_is_covered() -> None:
    daily = [m for m in METERS if _kind(m) == "caltrack-daily"]
    assert len(daily) >= 3
    forms = {_reference(m)["fits"][k]["form"] for m in daily for k in LIMITS}
    assert forms == {"intercept-only", "heating", "cooling", "heating-cooling"}


@pytest.mark.parametrize("limit", LIMITS)
@pytest.mark.parametrize("meter", METERS)
def test_same_model_as_eemeter(meter: str, limit: str) -> None:
    expected = _reference(meter)["fits"][limit]
    fit = _fit(meter, LIMITS[limit])
    assert fit is not None and expected["status"] == "SUCCESS"
    assert fit.form == expected["form"]
    assert fit.heating_balance_point == expected["heating_balance_point"]
    assert fit.cooling_balance_point == expected["cooling_balance_point"]
    assert fit.qualified == expected["qualified_candidates"]
    assert fit.intercept == pytest.approx(expected["intercept"], rel=REL)
    for ours, theirs in ((fit.beta_hdd, "beta_hdd"), (fit.beta_cdd, "beta_cdd")):
        if expected[theirs] is None:
            assert ours is None
        else:
            assert ours == pytest.approx(expected[theirs], rel=REL)
    assert fit.adj_r2 == pytest.approx(expected["r_squared_adj"], rel=REL, abs=1e-12)
    assert fit.r2 == pytest.approx(expected["r_squared"], rel=REL, abs=1e-12)


@pytest.mark.parametrize("meter", METERS)
def test_statistics_and_sufficiency_as_eemeter_reports_them(meter: str) -> None:
    expected = _reference(meter)["fits"]["p1"]
    model = BaselineModel(kind=_kind(meter))  # type: ignore[arg-type]
    fitted = fit_baseline(_data(meter), model)
    assert fitted.stats is not None
    assert fitted.stats.n == expected["metrics"]["n"]
    assert fitted.stats.cvrmse == pytest.approx(expected["metrics"]["cvrmse_adj"], rel=REL)
    # eemeter's NMBE of an in-sample least-squares fit is zero up to rounding
    assert fitted.stats.nmbe == pytest.approx(expected["metrics"]["nmbe"], abs=1e-9)
    if "sufficiency" in expected:
        assert expected["sufficiency"]["status"] == "PASS"
        assert fitted.accepted, [f.message for f in fitted.findings]


def test_the_p_value_limit_changes_the_choice_on_the_flat_meter() -> None:
    """With no test (p ≤ 1) chance correlation wins on a flat meter; the CalTRACK 1.0 screen
    (0.1) keeps the intercept-only model, and copact follows eemeter either way."""
    loose, strict = _fit("intercept-only", 1.0), _fit("intercept-only", 0.1)
    assert loose is not None and strict is not None
    assert loose.form != "intercept-only"
    assert strict.form == "intercept-only"
    assert strict.intercept == pytest.approx(np.mean(_usage("intercept-only")), rel=1e-12)


def _usage(meter: str) -> list[float]:
    return [r.observed for r in _data(meter).rows if r.observed is not None]


def test_fixtures_are_the_files_the_reference_script_writes() -> None:
    script = Path(__file__).resolve().parents[2] / "bench" / "eemeter_reference.py"
    text = script.read_text()
    for meter in METERS:
        assert f'"{meter}"' in text
