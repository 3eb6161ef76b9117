"""Benchmark: CalTRACK daily fits per second, copact against OpenEEmeter 2.10.11, same meters.

The meters are the daily fixtures of tests/fixtures/eemeter/ (a year of daily usage and mean
temperature each). Both sides are timed inside their own process on the same data:

- pipeline: copact parses the CSV text, checks data sufficiency, fits and hashes
  (``read_baseline_data`` + ``fit_baseline``); eemeter builds its daily design matrix from the
  hourly temperature, fits and checks sufficiency;
- fit: the model search alone (``fit_caltrack`` on arrays; eemeter's
  ``fit_caltrack_usage_per_day_model`` on a prepared design matrix).

eemeter runs in its own virtual environment (it is not a dependency of copact); the bench
creates ``.eemeter-venv`` when it is missing. Goal (issue 5): at least 100× eemeter.

    .venv/bin/python bench/baseline.py [--seconds 3] [--eemeter-seconds 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from copact.core.mechanisms import BaselineModel
from copact.metering.baseline import fit_baseline
from copact.metering.baseline_data import read_baseline_data
from copact.metering.caltrack import DAILY, fit_caltrack

ROOT = Path(__file__).resolve().parent.parent
METERS = ROOT / "tests" / "fixtures" / "eemeter"
VENV = ROOT / ".eemeter-venv"
PINS = ["eemeter==2.10.11", "pandas<2.2", "numpy<2", "pytz"]
MODEL = BaselineModel(kind="caltrack-daily")


def eemeter_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with {' '.join(PINS)} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PINS], check=True)
    return python


def rate(work: Callable[[], object], seconds: float) -> float:
    work()  # warm up
    runs, began = 0, time.perf_counter()
    while True:
        work()
        runs += 1
        elapsed = time.perf_counter() - began
        if elapsed >= seconds:
            return runs / elapsed


def copact_rates(path: Path, seconds: float) -> dict[str, float]:
    text = path.read_text()

    def pipeline() -> object:
        data, problems = read_baseline_data(text, str(path), MODEL)
        assert data is not None and not problems
        return fit_baseline(data, MODEL)

    data, _ = read_baseline_data(text, str(path), MODEL)
    assert data is not None
    rows = [r for r in data.rows if r.observed is not None and r.temperature_f is not None]
    usage = np.array([r.observed for r in rows], dtype=np.float64)
    temp = np.array([r.temperature_f for r in rows], dtype=np.float64)
    return {
        "pipeline": rate(pipeline, seconds),
        "fit": rate(lambda: fit_caltrack(usage, temp, settings=DAILY), seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=3.0, help="copact time per meter")
    parser.add_argument("--eemeter-seconds", type=float, default=5.0, help="eemeter per meter")
    args = parser.parse_args()
    meters = sorted(p for p in METERS.glob("*.csv") if p.read_text().startswith("date,"))
    console = Console(stderr=True)
    with console.status("timing eemeter in its own venv …"):
        done = subprocess.run(
            [
                str(eemeter_python()),
                str(ROOT / "bench" / "eemeter_reference.py"),
                "--time",
                str(METERS),
                "--seconds",
                str(args.eemeter_seconds),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    theirs = json.loads(done.stdout)
    with console.status("timing copact …"):
        ours = {p.stem: copact_rates(p, args.seconds) for p in meters}
    table = Table(title="CalTRACK daily fits per second (one year of daily data per meter)")
    for column in ("meter", "stage", "copact /s", "eemeter /s", "speed-up"):
        table.add_column(column, justify="left" if column in ("meter", "stage") else "right")
    ratios: dict[str, list[float]] = {"pipeline": [], "fit": []}
    for name in ours:
        for stage in ("pipeline", "fit"):
            mine, other = ours[name][stage], theirs[name][stage]["per_second"]
            ratios[stage].append(mine / other)
            table.add_row(name, stage, f"{mine:,.0f}", f"{other:.3f}", f"{mine / other:,.0f}×")
    Console().print(table)
    for stage, values in ratios.items():
        geo = float(np.exp(np.mean(np.log(values))))
        verdict = "meets" if min(values) >= 100 else "MISSES"
        print(
            f"{stage}: geometric mean speed-up {geo:,.0f}×, "
            f"lowest {min(values):,.0f}× ({verdict} ≥100×)"
        )


if __name__ == "__main__":
    main()
