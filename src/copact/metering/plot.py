"""A month's state timeline per site (``copact meter --plot``), drawn with matplotlib (Agg).

The segments come from the same sweep the availability figures are summed from
(:func:`copact.metering.definitions.timeline_sql`), so the picture cannot disagree with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from copact.metering.definitions import timeline_sql
from copact.metering.engines import Engine
from copact.metering.metrics import SitePeriod, signals_present, site_names

__all__ = ["STATE_COLOURS", "draw_timeline"]

STATE_COLOURS = {
    "up": "#4caf50",
    "degraded": "#ffb300",
    "unknown": "#9e9e9e",
    "forced": "#e53935",
    "planned": "#1e88e5",
    "excluded": "#8e24aa",
}


def _pieces(row: dict[str, Any]) -> list[tuple[str, int]]:
    """A segment split into consecutive (state, ms) pieces for drawing."""
    length = int(row["len"])
    if row["excluded"]:
        return [("excluded", length)]
    if row["planned"]:
        return [("planned", length)]
    forced, degraded, unknown = int(row["forced"]), int(row["degraded"]), int(row["unknown"])
    up = length - forced - degraded - unknown
    return [
        (s, ms)
        for s, ms in (("forced", forced), ("degraded", degraded), ("up", up), ("unknown", unknown))
        if ms > 0
    ]


def draw_timeline(
    engine: Engine, periods: Sequence[SitePeriod], *, tolerance_ms: int, path: Path
) -> None:
    """Draw one row per site: each state as coloured spans over the local month."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    lo = min(p.period.start_ms for p in periods)
    hi = max(p.period.end_ms for p in periods)
    rows = engine.query(
        timeline_sql(signals=signals_present(engine), tolerance_ms=tolerance_ms, lo_ms=lo, hi_ms=hi)
    )
    names = site_names(engine)
    spans: dict[str, dict[str, list[tuple[int, int]]]] = {p.site: {} for p in periods}
    for row in rows:
        t = int(row["t"])
        for state, ms in _pieces(row):
            runs = spans.setdefault(names[int(row["sid"])], {}).setdefault(state, [])
            if runs and runs[-1][0] + runs[-1][1] == t:
                runs[-1] = (runs[-1][0], runs[-1][1] + ms)  # merge touching spans
            else:
                runs.append((t, ms))
            t += ms
    fig, axes = plt.subplots(
        len(periods), 1, figsize=(12, 1.2 + 0.9 * len(periods)), squeeze=False, sharex=False
    )
    hour = 3_600_000
    for ax, sp in zip(axes[:, 0], periods, strict=True):
        zone = ZoneInfo(sp.period.timezone)
        p0 = sp.period.start_ms
        for state, runs in spans.get(sp.site, {}).items():
            ax.broken_barh(
                [((s - p0) / hour, ms / hour) for s, ms in runs],
                (0, 1),
                facecolors=STATE_COLOURS[state],
            )
        ticks, labels = [], []
        local = datetime.fromtimestamp(p0 / 1000, UTC).astimezone(zone)
        day = 1
        while True:
            midnight = local.replace(day=day)
            at = (int(midnight.timestamp() * 1000) - p0) / hour
            if at >= sp.period.ms / hour:
                break
            if day % 2 == 1:
                ticks.append(at)
                labels.append(str(day))
            day += 1
            try:
                local.replace(day=day)
            except ValueError:
                break
        ax.set_xlim(0, sp.period.ms / hour)
        ax.set_xticks(ticks, labels)
        ax.set_yticks([])
        ax.set_ylabel(sp.site, rotation=0, ha="right", va="center")
    axes[0, 0].set_title(
        f"states in {periods[0].period.month} (local days, {periods[0].period.timezone})"
    )
    fig.legend(
        handles=[Patch(color=c, label=s) for s, c in STATE_COLOURS.items()],
        loc="lower center",
        ncol=len(STATE_COLOURS),
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path)
    plt.close(fig)
