"""A JSON or form body is at most 1 MiB and nests at most 100 levels, refused with a clear
answer before any route works on it, and nothing lands in the journal.

Ana (acme's owner) proposes change orders on hybrid-dc1 over the API: one whose patch carries
2,000,000 characters is a 413 (it was stored in the journal before), one whose patch nests
400 levels deep a 400 (it was a 500: the merge and dump of the patch recursed), as are 200
and 5,000 levels; a patch of a few levels is proposed as before. A page's form over the limit
gets the error page; an evidence upload of 300 KiB still goes through (uploads keep their own
limit, here 256 KiB)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import DEAL, PDF, World, bearer, client_for, sign_in


def _propose(world: World, body: dict[str, Any] | bytes, key: str) -> Any:
    headers = {**bearer(world.users["acme-owner"]), "Idempotency-Key": key}
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
        return client_for(world).post(
            f"/api/v1/deals/{DEAL}/changes", headers=headers, content=body
        )
    return client_for(world).post(f"/api/v1/deals/{DEAL}/changes", headers=headers, json=body)


def _changes(world: World) -> list[str]:
    return [e.type for e in world.workspace.events(DEAL) if e.type.startswith("change")]


def test_a_patch_of_two_million_characters_is_refused_and_not_stored(fresh: World) -> None:
    body = {"change": "co-big", "patch": {"scope": {"problem": "x" * 2_000_000}}}
    answer = _propose(fresh, body, "big")
    assert answer.status_code == 413, answer.text[:300]
    detail = answer.json()["detail"]
    assert "too large" in detail and "1,048,576 bytes" in detail
    assert _changes(fresh) == []


def test_a_body_sent_in_chunks_without_a_length_is_bounded_too(fresh: World) -> None:
    body = json.dumps({"change": "co-big", "patch": {"scope": {"problem": "x" * 2_000_000}}})

    def chunks() -> Any:
        data = body.encode()
        for start in range(0, len(data), 64 * 1024):
            yield data[start : start + 64 * 1024]

    headers = {
        **bearer(fresh.users["acme-owner"]),
        "Idempotency-Key": "chunked",
        "Content-Type": "application/json",
    }
    answer = client_for(fresh).post(
        f"/api/v1/deals/{DEAL}/changes", headers=headers, content=chunks()
    )
    assert answer.status_code == 413, answer.text[:300]
    assert _changes(fresh) == []


def _nested(levels: int) -> dict[str, Any]:
    patch: dict[str, Any] = {"x": 1}
    for _ in range(levels - 1):
        patch = {"x": patch}
    return patch


@pytest.mark.parametrize("levels", [200, 400, 5000])
def test_a_patch_nested_too_deep_is_refused_cleanly(fresh: World, levels: int) -> None:
    # written by hand: json.dumps itself recurses and gives up near 1,000 levels
    text = '{"change": "co-deep", "patch": ' + '{"x": ' * levels + "1" + "}" * levels + "}"
    answer = _propose(fresh, text.encode(), f"deep-{levels}")
    assert answer.status_code == 400, answer.text[:300]
    assert "nests deeper than 100 levels" in answer.json()["detail"]
    assert _changes(fresh) == []


def test_a_patch_of_a_few_levels_is_proposed_as_before(fresh: World) -> None:
    body = {"change": "co-1", "amount": "6000.00", "patch": {"scope": {"problem": "hotter"}}}
    answer = _propose(fresh, body, "small")
    assert answer.status_code == 200, answer.text
    assert answer.json()["events"][0]["patch"] == {"scope": {"problem": "hotter"}}
    assert _changes(fresh) == ["change-proposed"]


def test_a_form_over_the_limit_gets_the_error_page(fresh: World) -> None:
    client = client_for(fresh)
    csrf = sign_in(client, "acme-owner")
    form = {"csrf": csrf, "key": "big-form", "change": "co-2", "amount": "1" * 1_100_000}
    answer = client.post(f"/deals/{DEAL}/changes", data=form)
    assert answer.status_code == 413
    assert "<!doctype html>" in answer.text and "too large" in answer.text
    assert _changes(fresh) == []


def test_an_upload_over_1_mib_keeps_its_own_limit(fresh: World) -> None:
    """The test world's upload limit is 256 KiB: 200 KiB of PDF is stored, 300 KiB refused by
    the upload's own check (with its own message)."""
    client = client_for(fresh)
    sam = bearer(fresh.users["voltworks-account"])

    def upload(size: int) -> Any:
        body = PDF + b"%" + b"0" * (size - len(PDF) - 1)
        files = {"file": ("report.pdf", body, "application/pdf")}
        return client.post(
            f"/api/v1/deals/{DEAL}/evidence", headers=sam, files=files, data={"kind": "report"}
        )

    assert upload(200 * 1024).status_code == 201
    refused = upload(300 * 1024)
    assert refused.status_code == 413
    assert "262,144" in refused.json()["detail"]
