"""A picture of a fitted baseline: what it predicts against what was observed."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen

import matplotlib.pyplot as plt

from copact.metering.baseline import FittedBaseline

__all__ = ["draw_baseline"]


def draw_baseline(deal: str, fitted: FittedBaseline, path: Path, *, grain: str | None) -> None:
    """Left: observed and predicted over the baseline period. Right: predicted against
    observed, with the line a perfect model would sit on."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5))
    unit = "per month" if grain == "month" and fitted.kind == "linear" else "per day"
    left.plot(fitted.labels, fitted.observed, ".", markersize=4, label="actual", color="tab:gray")
    if fitted.predicted:
        left.plot(fitted.labels, fitted.predicted, "-", linewidth=1.4, label="baseline")
        right.plot(fitted.observed, fitted.predicted, ".", markersize=4)
        low = min(*fitted.observed, *fitted.predicted)
        high = max(*fitted.observed, *fitted.predicted)
        right.plot([low, high], [low, high], color="black", linewidth=0.8)
    left.set_title(f"{deal}: baseline ({fitted.form or 'no model'}) vs actual, {unit}")
    left.legend()
    left.tick_params(axis="x", labelrotation=30)
    stats = fitted.stats
    verdict = "accepted" if fitted.accepted else "NOT accepted"
    right.set_title(
        f"CV(RMSE) {stats.cvrmse:.1%}, NMBE {stats.nmbe:.2%}, adj. R² {stats.adj_r2:.3f}: {verdict}"
        if stats
        else verdict
    )
    right.set_xlabel("actual")
    right.set_ylabel("baseline")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
