"""The supplier selection page: ``GET /deals/{deal}/selection`` shows the selection the deal
records (its criteria and weights, the candidates ranked with a bar for each score, the chosen
supplier and the buyer's reason); ``POST /deals/{deal}/selection`` takes an evaluation file
(multipart: ``file``, and optionally ``choose`` and ``reason``) and previews its ranking, or,
with ``action`` = ``pdf``, ``html`` or ``md``, answers its one-page selection report.

Both ask the guard for ``deal.read``; nothing is recorded (``copact select --write`` puts the
choice into the deal file, which then goes through the deal's versions). An upload is cut off
at the workspace's upload limit and at the evaluation file's own (1,000,000 bytes); its
problems are a 422 page listing each with its line, as ``copact select`` prints them.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from copact.core.deal import Deal
from copact.core.selection import shown
from copact.dealfile.evaluation import MAX_BYTES
from copact.documents.rendering import render_html, render_markdown, render_pdf
from copact.documents.selection_report import choice_reason
from copact.services.selection import Choice, Evaluated, NotChosen, choose, evaluate, report_of
from copact.web.context import Context
from copact.web.deps import CsrfRefused, Ctx, PageUser, client_ip
from copact.web.pages import render_page
from copact.web.uploads import receive_upload

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_REPORTS = {
    "pdf": ("application/pdf", "pdf"),
    "html": ("text/html; charset=utf-8", "html"),
    "md": ("text/markdown; charset=utf-8", "md"),
}


def _recorded(deal: Deal) -> dict[str, Any] | None:
    """The deal's selection as the page shows it: candidates by score, a bar out of 5 (or of
    the highest score when one is above 5)."""
    sel = deal.selection
    if sel is None:
        return None
    ranked = sorted(sel.candidates, key=lambda c: (-c.score, c.id))
    top = max([Decimal(5), *(c.score for c in ranked)])
    names = {p.id: p.name for p in deal.parties}
    return {
        "criteria": [(slug, str(weight)) for slug, weight in sel.criteria.items()],
        "candidates": [
            {"id": c.id, "name": names.get(c.id, c.id), "score": f"{c.score:f}", "max": top}
            for c in ranked
        ],
        "top": f"{top.normalize():f}",
        "chosen": sel.chosen,
        "reason": sel.reason,
    }


def _page(
    ctx: Context, request: Request, who: Any, deal: Deal, *, status: int = 200, **values: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "deal": deal,
        "recorded": _recorded(deal),
        "preview": None,
        "problems": [],
        "error": None,
        "max_bytes": min(ctx.upload_limit, MAX_BYTES),
        **values,
    }
    response = render_page(ctx, request, "selection.html", who, **context)
    response.status_code = status
    return response


@router.get("/deals/{deal}/selection", response_class=HTMLResponse)
def selection_page(ctx: Ctx, request: Request, who: PageUser, deal: str) -> HTMLResponse:
    d = ctx.guard.deal(who, deal, "deal.read", ip=client_ip(request))
    return _page(ctx, request, who, d)


def _range(scores: tuple[tuple[str, Decimal, str | None], ...]) -> str:
    """``2–4``: the lowest and highest score, where the evaluators differ."""
    values = [v for _, v, _ in scores]
    if not values or min(values) == max(values):
        return ""
    return f"{min(values).normalize():f}–{max(values).normalize():f}"


def _preview(evaluated: Evaluated, choice: Choice) -> dict[str, Any]:
    ranking = evaluated.ranking
    assert ranking is not None
    ev = evaluated.evaluation
    decider = ranking.decider
    return {
        "name": evaluated.name,
        "title": ev.title or evaluated.name,
        "top": f"{ev.scale.max.normalize():f}",
        "criteria": ev.criteria,
        "standings": [
            {
                "s": s,
                "percent": ranking.percent(s),
                "means": [(f"{shown(m.mean):f}", _range(m.scores)) for m in s.criteria],
            }
            for s in ranking.standings
        ],
        "decider": None if decider is None else ev.criterion_name(decider.criterion),
        "lead": None if decider is None else f"{shown(decider.lead):f}",
        "disagreements": ranking.disagreements(),
        "chosen": choice.candidate,
        "why": choice_reason(ev, ranking, choice.candidate, choice.reason),
    }


@router.post("/deals/{deal}/selection", response_class=HTMLResponse)
async def selection_upload(ctx: Ctx, request: Request, who: PageUser, deal: str) -> Response:
    ip = client_ip(request)
    d = await run_in_threadpool(ctx.guard.deal, who, deal, "deal.read", ip=ip)
    upload = await receive_upload(request, limit=min(ctx.upload_limit, MAX_BYTES))
    try:
        given = upload.fields.get("csrf", "")
        if who.csrf is None or not secrets.compare_digest(who.csrf, given):
            raise CsrfRefused("this form has expired or did not come from copact; reload the page")
        raw = upload.file.read(MAX_BYTES + 1)
    finally:
        upload.file.close()
    name = upload.filename[:100]
    evaluated = await run_in_threadpool(evaluate, raw, name, deal=d)
    if evaluated.ranking is None:
        problems = sorted(evaluated.problems, key=lambda p: (p.severity.rank, p.sort_key))
        error = f"{name} has errors; fix them to rank its candidates"
        return _page(ctx, request, who, d, status=422, error=error, problems=problems)
    candidate = upload.fields.get("choose", "").strip() or None
    reason = upload.fields.get("reason", "").strip()[:1000] or None
    try:
        choice = choose(evaluated.ranking, candidate=candidate, reason=reason)
    except NotChosen as exc:
        return _page(ctx, request, who, d, status=422, error=str(exc), problems=evaluated.problems)
    action = upload.fields.get("action", "preview")
    if action in _REPORTS:
        media, suffix = _REPORTS[action]
        doc = report_of(evaluated, choice)
        if action == "pdf":
            body: bytes = (await run_in_threadpool(render_pdf, doc)).data
        else:
            body = (render_markdown(doc) if action == "md" else render_html(doc)).encode()
        filename = f"{d.id}-selection.{suffix}"
        return Response(
            body,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return _page(
        ctx, request, who, d, preview=_preview(evaluated, choice), problems=evaluated.problems
    )
