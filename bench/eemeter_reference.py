"""Reference CalTRACK fits from OpenEEmeter 2.10.11, written as test fixtures.

Run with the eemeter virtual environment's python (eemeter is not a dependency of copact)::

    python3 -m venv .eemeter-venv
    .eemeter-venv/bin/pip install eemeter==2.10.11 "pandas<2.2" "numpy<2" pytz
    .eemeter-venv/bin/python bench/eemeter_reference.py             # tests/fixtures/eemeter/
    .eemeter-venv/bin/python bench/eemeter_reference.py --time DIR   # fits per second

It generates seeded synthetic meters (daily usage and daily mean temperature for 2023), writes
each as a copact baseline CSV (``date,observed,temperature_f``) and fits eemeter's CalTRACK daily
model on exactly those values: the hourly temperature eemeter wants is the day's mean repeated
24 times, so both sides see the same degree days. Each meter is fitted twice: with eemeter's
default p-value limit (1, no test) and with CalTRACK 2.0's 0.1. One billing meter (monthly
periods, temperature constant within each period so that eemeter's mean of daily degree days
equals copact's degree days of the period mean) checks the weighted (billing) variant.

The JSON fixtures are the contract; this script reproduces them byte for byte.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "eemeter"
START = pd.Timestamp("2023-01-01", tz="UTC")
DAYS = 365
P_LIMITS = {"p1": 1.0, "p0.1": 0.1}

# name: (seed, base, heating (slope, balance point) or None, cooling (slope, bp) or None, noise)
METERS: dict[
    str, tuple[int, float, tuple[float, float] | None, tuple[float, float] | None, float]
] = {
    "heating-only": (11, 20.0, (1.5, 55.0), None, 3.0),
    "cooling-only": (12, 15.0, None, (2.0, 68.0), 3.0),
    "heating-cooling": (13, 25.0, (1.2, 52.0), (1.8, 70.0), 3.0),
    "intercept-only": (17, 30.0, None, None, 4.0),
    "gappy-heating-cooling": (15, 40.0, (0.8, 58.0), (1.1, 72.0), 5.0),
}


def synthetic_meter(name: str) -> pd.DataFrame:
    """Daily rows: date, observed (3 decimals), temperature_f (1 decimal); NaN = missing."""
    seed, base, heating, cooling, noise = METERS[name]
    rng = np.random.default_rng(seed)
    day = np.arange(DAYS)
    temp = 56 + 24 * np.sin(2 * np.pi * (day - 105) / 365) + rng.normal(0, 6, DAYS)
    usage = base + rng.normal(0, noise, DAYS)
    if heating:
        usage += heating[0] * np.maximum(heating[1] - temp, 0)
    if cooling:
        usage += cooling[0] * np.maximum(temp - cooling[1], 0)
    temp = np.round(temp, 1)
    usage = np.round(np.maximum(usage, 0), 3)
    if name.startswith("gappy"):
        usage[rng.choice(DAYS, 12, replace=False)] = np.nan
        temp[rng.choice(DAYS, 8, replace=False)] = np.nan
    dates = pd.date_range(START, periods=DAYS, freq="D")
    return pd.DataFrame({"date": dates, "observed": usage, "temperature_f": temp})


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    lines = ["date,observed,temperature_f"]
    for row in frame.itertuples():
        obs = "" if np.isnan(row.observed) else f"{row.observed:.3f}"
        tmp = "" if np.isnan(row.temperature_f) else f"{row.temperature_f:.1f}"
        lines.append(f"{row.date.date().isoformat()},{obs},{tmp}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def eemeter_inputs(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """eemeter's formats: meter data indexed by period start (plus the end marker), hourly
    temperature (the day's mean for each of its 24 hours)."""
    index = pd.DatetimeIndex(frame["date"]).append(
        pd.DatetimeIndex([frame["date"].iloc[-1] + pd.Timedelta(days=1)])
    )
    values = np.append(frame["observed"].to_numpy(), np.nan)
    meter = pd.DataFrame({"value": values}, index=index)
    hours = pd.date_range(START, periods=(DAYS + 1) * 24, freq="H")
    hourly = np.repeat(np.append(frame["temperature_f"].to_numpy(), np.nan), 24)
    return meter, pd.Series(hourly, index=hours)


def fit_eemeter(
    meter: pd.DataFrame, temps: pd.Series, p_limit: float, billing: bool = False
) -> dict:
    import eemeter

    if billing:
        design = eemeter.create_caltrack_billing_design_matrix(meter, temps)
        result = eemeter.fit_caltrack_usage_per_day_model(
            design,
            use_billing_presets=True,
            weights_col="n_days_kept",
            beta_cdd_maximum_p_value=p_limit,
            beta_hdd_maximum_p_value=p_limit,
        )
    else:
        design = eemeter.create_caltrack_daily_design_matrix(meter, temps)
        result = eemeter.fit_caltrack_usage_per_day_model(
            design, beta_cdd_maximum_p_value=p_limit, beta_hdd_maximum_p_value=p_limit
        )
    model = result.model
    doc: dict = {"status": result.status}
    if model is None:
        return doc
    forms = {
        "intercept_only": "intercept-only",
        "hdd_only": "heating",
        "cdd_only": "cooling",
        "cdd_hdd": "heating-cooling",
    }
    params = {k: float(v) for k, v in model.model_params.items()}
    metrics = result.avgs_metrics
    doc.update(
        {
            "model_type": model.model_type,
            "form": forms[model.model_type],
            "intercept": params["intercept"],
            "beta_hdd": params.get("beta_hdd"),
            "beta_cdd": params.get("beta_cdd"),
            "heating_balance_point": int(params["heating_balance_point"])
            if "heating_balance_point" in params
            else None,
            "cooling_balance_point": int(params["cooling_balance_point"])
            if "cooling_balance_point" in params
            else None,
            "r_squared_adj": float(model.r_squared_adj),
            "r_squared": float(model.result.rsquared)
            if model.model_type != "intercept_only"
            else 0.0,
            "qualified_candidates": sum(c.status == "QUALIFIED" for c in result.candidates),
            "candidates": len(result.candidates),
            "metrics": {
                "n": int(metrics.merged_length),
                "cvrmse_adj": float(metrics.cvrmse_adj),
                "nmbe": float(metrics.nmbe),
            },
        }
    )
    if not billing:
        suff = eemeter.caltrack_sufficiency_criteria(design, START, START + pd.Timedelta(days=DAYS))
        doc["sufficiency"] = {
            "status": suff.status,
            "warnings": sorted(w.qualified_name for w in suff.warnings),
        }
    return doc


def billing_meter() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Twelve calendar-month periods of 2023; temperature constant within each period."""
    rng = np.random.default_rng(21)
    starts = pd.date_range(START, periods=13, freq="MS")
    days = np.diff(starts).astype("timedelta64[D]").astype(int)
    temp = np.round(56 + 24 * np.sin(2 * np.pi * (np.arange(12) * 30.4 + 15 - 105) / 365), 1)
    per_day = (
        18
        + 1.4 * np.maximum(57 - temp, 0)
        + 1.6 * np.maximum(temp - 66, 0)
        + rng.normal(0, 1.5, 12)
    )
    totals = np.round(per_day * days, 2)
    frame = pd.DataFrame(
        {
            "start": starts[:-1].date,
            "end": starts[1:].date,
            "observed": totals,
            "temperature_f": temp,
        }
    )
    meter = pd.DataFrame({"value": np.append(totals, np.nan)}, index=starts)
    hours = pd.date_range(START, starts[-1] + pd.Timedelta(days=1), freq="H", inclusive="left")
    hourly = pd.Series(np.nan, index=hours)
    for i in range(12):
        hourly[(hours >= starts[i]) & (hours < starts[i + 1])] = temp[i]
    hourly.index.freq = "H"
    return frame, meter, hourly


def write_fixtures() -> None:
    import eemeter

    OUT.mkdir(parents=True, exist_ok=True)
    for name in METERS:
        frame = synthetic_meter(name)
        write_csv(frame, OUT / f"{name}.csv")
        meter, temps = eemeter_inputs(frame)
        doc = {
            "meter": name,
            "generator": dict(
                zip(("seed", "base", "heating", "cooling", "noise"), METERS[name], strict=True)
            ),
            "eemeter": eemeter.__version__,
            "fits": {key: fit_eemeter(meter, temps, p) for key, p in P_LIMITS.items()},
        }
        (OUT / f"{name}.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        print(
            name,
            {
                k: (v.get("form"), v.get("heating_balance_point"), v.get("cooling_balance_point"))
                for k, v in doc["fits"].items()
            },
        )
    frame, meter, hourly = billing_meter()
    lines = ["start,end,observed,temperature_f"]
    lines += [
        f"{r.start},{r.end},{r.observed:.2f},{r.temperature_f:.1f}" for r in frame.itertuples()
    ]
    (OUT / "billing-monthly.csv").write_text("\n".join(lines) + "\n")
    doc = {
        "meter": "billing-monthly",
        "eemeter": eemeter.__version__,
        "fits": {key: fit_eemeter(meter, hourly, p, billing=True) for key, p in P_LIMITS.items()},
    }
    (OUT / "billing-monthly.json").write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print("billing-monthly", {k: v.get("form") for k, v in doc["fits"].items()})


def time_fits(directory: Path, seconds: float) -> None:
    """Fits per second of eemeter on each daily meter CSV of ``directory``: the whole pipeline
    (design matrix, fit, sufficiency) and the fit alone on a prepared design matrix."""
    import eemeter

    def rate(work: object) -> dict:
        runs, began = 0, time.perf_counter()
        while True:
            work()  # type: ignore[operator]
            runs += 1
            elapsed = time.perf_counter() - began
            if elapsed >= seconds:
                return {"fits": runs, "seconds": elapsed, "per_second": runs / elapsed}

    report = {}
    for path in sorted(directory.glob("*.csv")):
        if not path.read_text().startswith("date,"):
            continue
        raw = pd.read_csv(path)
        frame = pd.DataFrame(
            {
                "date": pd.to_datetime(raw["date"]).dt.tz_localize("UTC"),
                "observed": raw["observed"],
                "temperature_f": raw["temperature_f"],
            }
        )
        meter, temps = eemeter_inputs(frame)
        design = eemeter.create_caltrack_daily_design_matrix(meter, temps)
        report[path.stem] = {
            "pipeline": rate(lambda m=meter, t=temps: fit_eemeter(m, t, 0.1)),
            "fit": rate(
                lambda d=design: eemeter.fit_caltrack_usage_per_day_model(
                    d, beta_cdd_maximum_p_value=0.1, beta_hdd_maximum_p_value=0.1
                )
            ),
        }
    json.dump(report, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--time", type=Path, help="time eemeter on the meter CSVs of DIR (JSON to stdout)"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.time:
        time_fits(args.time, args.seconds)
    else:
        write_fixtures()


if __name__ == "__main__":
    main()
