"""Charts drawn on the server as SVG: they print, need no script, and read without colour
(state is also a shape and a label).

- :func:`timeline_svg`: one row per milestone; a hollow diamond at its due date, a filled
  marker when accepted (green) or submitted (blue), a red bar for the days it is late, and a
  line for today.
- :func:`money_svg`: per party, committed (light bar) vs contributed (dark bar).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from html import escape

from copact.services.views import DealView

__all__ = ["money_svg", "timeline_svg"]

_STATE_COLOUR = {
    "planned": "#98a2b3",
    "submitted": "#2563eb",
    "accepted": "#15803d",
    "rejected": "#d97706",
    "missed": "#b42318",
}


def timeline_svg(view: DealView) -> str:
    rows = view.milestones
    dates = [m.due for m in rows if m.due] + [view.today, view.deal.effective]
    dates += [d for m in rows for d in (m.accepted_on, m.submitted_on) if d]
    start = min(dates) - timedelta(days=7)
    end = max(dates) + timedelta(days=14)
    span = max((end - start).days, 1)
    left, width, row_h, top = 190, 620, 30, 34
    height = top + row_h * len(rows) + 16

    def x(d: date) -> float:
        return left + width * (d - start).days / span

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 20} {height}" '
        f'class="chart" role="img" aria-label="Milestones on a timeline">'
    ]
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            mx = x(month)
            parts.append(
                f'<line x1="{mx:.1f}" y1="{top - 8}" x2="{mx:.1f}" y2="{height - 10}" '
                'stroke="#eaecf0"/>'
                f'<text x="{mx + 3:.1f}" y="{top - 14}" class="tick">{month:%b %y}</text>'
            )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    for i, m in enumerate(rows):
        y = top + i * row_h + row_h / 2
        colour = _STATE_COLOUR.get(m.state, "#98a2b3")
        parts.append(
            f'<text x="{left - 10}" y="{y + 4:.1f}" text-anchor="end" class="axis-label">'
            f"{escape(m.id)}</text>"
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + width}" y2="{y:.1f}" stroke="#f2f4f7"/>'
        )
        if m.due:
            dx = x(m.due)
            if m.late_days > 0:
                until = m.accepted_on or view.today
                parts.append(
                    f'<rect x="{dx:.1f}" y="{y - 3:.1f}" width="{max(x(until) - dx, 1):.1f}" '
                    f'height="6" fill="#fda29b"><title>{m.late_days} days late</title></rect>'
                )
            parts.append(
                f'<path d="M{dx:.1f} {y - 7:.1f} l7 7 l-7 7 l-7 -7 z" fill="#fff" '
                f'stroke="{colour}" stroke-width="2"><title>{escape(m.id)} due {m.due}'
                f"</title></path>"
            )
        done = m.accepted_on if m.state == "accepted" else m.submitted_on
        if done and m.state in ("accepted", "submitted"):
            parts.append(
                f'<circle cx="{x(done):.1f}" cy="{y:.1f}" r="6" fill="{colour}">'
                f"<title>{escape(m.id)} {m.state} {done}</title></circle>"
            )
    tx = x(view.today)
    parts.append(
        f'<line x1="{tx:.1f}" y1="{top - 8}" x2="{tx:.1f}" y2="{height - 10}" '
        'stroke="#1d4ed8" stroke-dasharray="4 3"/>'
        f'<text x="{tx + 4:.1f}" y="{height - 2}" class="tick today">today {view.today}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def money_svg(view: DealView) -> str:
    rows = view.money
    biggest = max([p.committed.amount for p in rows] + [p.contributed.amount for p in rows])
    biggest = max(biggest, Decimal(1))
    left, width, row_h = 170, 560, 56
    height = row_h * len(rows) + 24

    def w(amount: Decimal) -> float:
        return float(width * max(amount, Decimal(0)) / biggest)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 150} {height}" '
        f'class="chart" role="img" aria-label="Money committed and contributed per party">'
    ]
    for i, p in enumerate(rows):
        y = 10 + i * row_h
        parts.append(
            f'<text x="{left - 10}" y="{y + 18}" text-anchor="end" class="axis-label">'
            f"{escape(p.name)}</text>"
            f'<text x="{left - 10}" y="{y + 34}" text-anchor="end" class="tick">{p.role}</text>'
            f'<rect x="{left}" y="{y}" width="{w(p.committed.amount):.1f}" height="20" '
            f'fill="#c7d7fe"><title>committed {p.committed.quantize().amount:,}</title></rect>'
            f'<rect x="{left}" y="{y + 22}" width="{w(p.contributed.amount):.1f}" height="20" '
            f'fill="#1d4ed8"><title>contributed {p.contributed.quantize().amount:,}</title></rect>'
            f'<text x="{left + w(p.committed.amount) + 6:.1f}" y="{y + 15}" class="value">'
            f"committed {p.committed.quantize().amount:,.2f}</text>"
            f'<text x="{left + w(p.contributed.amount) + 6:.1f}" y="{y + 37}" class="value">'
            f"contributed {p.contributed.quantize().amount:,.2f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
