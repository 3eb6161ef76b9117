"""The supplier selection page: a deal that records Acme's choice of VoltWorks (4.15 against
GridCo's 3.75 and SunBox's 3.20) shows it ranked with bars; an evaluation file uploaded there
previews its ranking and downloads its report; a bad file is a 422 listing each problem with
its line; an oversized one is refused before it is read."""

from __future__ import annotations

from fastapi.testclient import TestClient

from copact.dealfile.evaluation import load_text
from copact.services.selection import Choice, evaluate, write_choice
from tests.conftest import EXAMPLES
from tests.web.conftest import DEAL, World, client_for, sign_in

EVALUATION = EXAMPLES / "selection" / "hybrid-dc1-evaluation.yaml"


def _upload(client: TestClient, csrf: str, body: bytes, **fields: str) -> object:
    return client.post(
        f"/deals/{DEAL}/selection",
        files={"file": ("acme-evaluation.yaml", body, "application/yaml")},
        data={"csrf": csrf, **fields},
    )


def test_the_recorded_selection_is_shown_ranked_with_the_chosen(fresh: World) -> None:
    raw = EVALUATION.read_bytes()
    text = (EXAMPLES / "hybrid-dc1.yaml").read_text()
    deal = fresh.workspace.deal(DEAL)
    written = write_choice(text, deal, evaluate(raw, "eval.yaml"), Choice("voltworks", None))
    second = written.replace("id: hybrid-dc1\n", "id: hybrid-dc2\n", 1)
    fresh.workspace.add_deal(second, "hybrid-dc2.yaml")
    client = client_for(fresh)
    sign_in(client, "acme-owner")
    page = client.get("/deals/hybrid-dc2/selection")
    assert page.status_code == 200, page.text
    html = page.text
    assert html.index("VoltWorks Inc.") < html.index("gridco") < html.index("sunbox")
    assert '<meter min="0" max="5" value="4.15">' in html
    assert "controls-expertise" in html and "25%" in html
    assert "Chosen: <strong>voltworks</strong>" in html
    empty = client.get(f"/deals/{DEAL}/selection").text
    assert "The deal records no selection yet" in empty


def test_an_uploaded_evaluation_is_previewed_and_its_report_downloaded(world: World) -> None:
    client = client_for(world)
    csrf = sign_in(client, "voltworks-account")
    raw = EVALUATION.read_bytes()
    page = _upload(client, csrf, raw, action="preview")
    assert page.status_code == 200, page.text  # type: ignore[attr-defined]
    html = page.text  # type: ignore[attr-defined]
    assert "4.15" in html and "3.75" in html and "3.20" in html
    assert '<meter min="0" max="100" value="83.0">' in html
    assert "Decided by <strong>Willingness to share performance data</strong>" in html
    assert "GridCo Power Services, data-sharing (ana 2, raj 4)" in html
    assert '3.00 <span class="small muted">(2–4)</span>' in html
    pdf = _upload(client, csrf, raw, action="pdf")
    assert pdf.status_code == 200  # type: ignore[attr-defined]
    assert pdf.content.startswith(b"%PDF")  # type: ignore[attr-defined]
    assert "hybrid-dc1-selection.pdf" in pdf.headers["content-disposition"]  # type: ignore[attr-defined]
    md = _upload(client, csrf, raw, action="md", choose="gridco", reason="local service")
    assert "**Why:** local service" in md.text  # type: ignore[attr-defined]
    refused = _upload(client, csrf, raw, choose="gridco")
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "give the buyer&#39;s reason" in refused.text  # type: ignore[attr-defined]


def test_a_bad_evaluation_lists_its_problems_with_their_lines(world: World) -> None:
    client = client_for(world)
    csrf = sign_in(client, "acme-owner")
    bad = EVALUATION.read_text().replace("weight: 15%}", "weight: 10%}")
    page = _upload(client, csrf, bad.encode())
    assert page.status_code == 422  # type: ignore[attr-defined]
    expected = load_text(bad, "acme-evaluation.yaml").errors[0]
    assert f"<code>acme-evaluation.yaml:{expected.line}:{expected.column}</code> Q852" in page.text  # type: ignore[attr-defined]
    assert "weights add up to 95%, not 100%" in page.text  # type: ignore[attr-defined]


def test_a_foreign_csrf_and_an_oversized_file_are_refused(world: World) -> None:
    client = client_for(world)
    csrf = sign_in(client, "acme-owner")
    assert _upload(client, "nope", EVALUATION.read_bytes()).status_code == 403  # type: ignore[attr-defined]
    huge = b"#" * (world.settings.upload_limit or 0) * 2
    assert _upload(client, csrf, huge).status_code == 413  # type: ignore[attr-defined]
