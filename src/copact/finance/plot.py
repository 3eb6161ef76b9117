"""Plots of a simulation: each party's NPV distribution and planned cumulative cash position."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt

from copact.finance.montecarlo import SimulationResult
from copact.finance.returns import end_of_day_positions

__all__ = ["draw_plot"]


def draw_plot(docs: list[dict[str, Any]], results: dict[str, SimulationResult], path: Path) -> None:
    """One row per deal: the NPV histogram per party (when simulated), the cash position."""
    fig, axes = plt.subplots(len(docs), 2, figsize=(12, 4 * len(docs)), squeeze=False)
    for row, doc in zip(axes, docs, strict=True):
        left, right = row
        result = results.get(doc["deal"])
        if result is not None:
            for party, values in result.npv.items():
                left.hist(values, bins=60, alpha=0.55, label=party)
            left.axvline(0, color="black", linewidth=0.8)
            left.set_title(f"{doc['deal']}: NPV over {result.runs:,} runs")
            left.legend()
        else:
            left.set_axis_off()
        for party, p in doc["planned"]["parties"].items():
            dated = [(date.fromisoformat(f["date"]), float(f["amount"])) for f in p["flows"]]
            closes = end_of_day_positions(dated)  # the figure shows what peak exposure reads
            right.step([d for d, _ in closes], [v for _, v in closes], where="post", label=party)
        right.axhline(0, color="black", linewidth=0.8)
        right.set_title(f"{doc['deal']}: planned cumulative cash position")
        right.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
