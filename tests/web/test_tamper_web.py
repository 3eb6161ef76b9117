"""What the web shows of a tampered workspace: the API's verification and the journal page name
each evidence file missing or altered; a submission imported without its files says "evidence
not held" on its milestone, in the JSON and on the page; another party's confidential file is
counted, never named."""

from __future__ import annotations

import json

from tests.web.conftest import DEAL, PDF, World, bearer, client_for, sign_in
from tests.web.test_api import submit_delivery, upload

UNKNOWN = "ab" * 32  # a file this workspace never had


def test_the_api_and_the_journal_page_name_an_altered_evidence_file(fresh: World) -> None:
    client = client_for(fresh)
    hashes = submit_delivery(client, fresh)
    ana = bearer(fresh.users["acme-owner"])
    verified = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=ana).json()
    assert verified["ok"] is True and verified["evidence_checked"] == 3
    fresh.workspace.blobs.path(hashes[0]).write_bytes(PDF + b"another receipt")
    verified = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=ana).json()
    assert verified["ok"] is False and verified["count"] == 3  # two signatures, a submission
    [problem] = verified["evidence_problems"]
    assert problem == {
        "sha256": hashes[0],
        "name": "delivery-receipt.pdf",
        "problem": "altered",
        "used_by": ["submitted hardware-delivery (event 3)"],
    }
    skipped = client.get(
        f"/api/v1/deals/{DEAL}/journal/verify", params={"evidence": "false"}, headers=ana
    ).json()
    assert skipped["ok"] is True and skipped["evidence_skipped"] is True
    page = client_for(fresh)
    sign_in(page, "acme-owner")
    html = page.get(f"/deals/{DEAL}/journal").text
    assert "delivery-receipt.pdf" in html and "altered" in html and hashes[0][:12] in html


def test_a_submission_imported_without_its_files_says_evidence_not_held(fresh: World) -> None:
    line = {
        "at": "2026-07-02",  # the day after the deal was signed
        "type": "submitted",
        "deal": DEAL,
        "milestone": "design-approval",
        "by": "sam",
        "evidence": [
            {"name": "sld.pdf", "sha256": UNKNOWN, "kind": kind}
            for kind in ("signed-acceptance", "drawing", "test-report")
        ],
    }
    assert fresh.workspace.import_journal(DEAL, json.dumps(line) + "\n", "moved.jsonl") == 1
    client = client_for(fresh)
    ana = bearer(fresh.users["acme-owner"])
    shown = client.get(f"/api/v1/deals/{DEAL}/milestones/design-approval", headers=ana).json()
    assert shown["evidence_not_held"] == [UNKNOWN]
    listed = client.get(f"/api/v1/deals/{DEAL}/milestones", headers=ana).json()
    assert {m["id"]: m["evidence_not_held"] for m in listed}["design-approval"] == [UNKNOWN]
    verified = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=ana).json()
    assert verified["ok"] is False and verified["not_held"] == 1
    assert "1 evidence file referenced but not held" in verified["reason"]
    page = client_for(fresh)
    sign_in(page, "acme-owner")
    html = page.get(f"/deals/{DEAL}/milestones/design-approval").text
    assert "evidence not held" in html


def test_another_partys_confidential_file_is_counted_not_named(fresh: World) -> None:
    client = client_for(fresh)
    sam = bearer(fresh.users["voltworks-account"])
    secret = upload(client, sam, "cost-model.pdf", PDF + b"margins", "other", confidential=True)
    fresh.workspace.blobs.path(str(secret["sha256"])).unlink()
    ana = bearer(fresh.users["acme-owner"])
    theirs = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=ana).json()
    assert theirs["ok"] is False and theirs["evidence_problems"] == []
    assert "1 evidence file missing or altered" in theirs["reason"]
    assert "cost-model" not in json.dumps(theirs)
    own = client.get(f"/api/v1/deals/{DEAL}/journal/verify", headers=sam).json()
    assert [p["name"] for p in own["evidence_problems"]] == ["cost-model.pdf"]
