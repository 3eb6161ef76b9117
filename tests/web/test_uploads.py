"""Hostile uploads: over the limit, a zip bomb, `../` names, content that is not its kind. Each
is refused with a 4xx that says why, and nothing lands outside the evidence store."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import DEAL, PDF, PNG, World, bearer, client_for


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def supplier(fresh: World) -> tuple[TestClient, dict[str, str]]:
    return client_for(fresh), bearer(fresh.users["voltworks-account"])


def _post(client: TestClient, headers: dict[str, str], name: str, body: bytes, kind: str) -> object:
    return client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers=headers,
        files={"file": (name, body, "application/octet-stream")},
        data={"kind": kind},
    )


def _stored(world: World) -> set[str]:
    return {p for p in _files(world.root / "evidence") if not p.startswith(".incoming")}


def test_a_file_over_the_limit_is_refused_before_it_is_all_read(
    fresh: World, supplier: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = supplier
    before = _files(fresh.root)
    answer = _post(client, headers, "big.pdf", PDF + b"0" * (300 * 1024), "test-report")
    assert answer.status_code == 413  # type: ignore[attr-defined]
    assert "limit" in answer.json()["detail"]  # type: ignore[attr-defined]
    assert _files(fresh.root) - before <= {"copact.db-wal", "copact.db-shm"}


def test_a_zip_bomb_is_refused(fresh: World, supplier: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = supplier
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"0" * (50 * 1024 * 1024))  # 50 MB of zeros
    assert len(bomb.getvalue()) < 200 * 1024
    for name, kind in (("report.docx", "test-report"), ("bomb.zip", "test-report")):
        answer = _post(client, headers, name, bomb.getvalue(), kind)
        assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    assert _stored(fresh) == set()


def test_an_archive_is_not_evidence(
    fresh: World, supplier: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = supplier
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr("a.txt", "hello")
    answer = _post(client, headers, "logs.zip", plain.getvalue(), "test-log")
    assert answer.status_code == 422
    assert "archive" in answer.json()["detail"]  # type: ignore[attr-defined]


def test_dot_dot_names_are_only_names(
    fresh: World, supplier: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = supplier
    outside = fresh.root.parent / "escaped.pdf"
    for name in ("../escaped.pdf", "../../../../tmp/escaped.pdf", "..\\..\\escaped.pdf"):
        answer = _post(client, headers, name, PDF + name.encode(), "test-report")
        assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
        record = answer.json()  # type: ignore[attr-defined]
        assert "/" not in record["name"] and "\\" not in record["name"]
        # it is stored under its hash, and downloads under a harmless name
        path = fresh.root / "evidence" / record["sha256"][:2] / record["sha256"]
        assert path.is_file()
        got = client.get(f"/api/v1/deals/{DEAL}/evidence/{record['sha256']}", headers=headers)
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and ".." not in disposition.split(";")[1]
        assert got.headers["x-content-type-options"] == "nosniff"
    assert not outside.exists() and not Path("/tmp/escaped.pdf").exists()


def test_content_that_is_not_its_kind_is_refused(
    fresh: World, supplier: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = supplier
    cases = [
        ("photo.png", PDF, "photo"),  # a PDF named .png
        ("report.pdf", PNG, "test-report"),  # a PNG named .pdf
        ("cert.pdf", b"plain words, not a PDF", "signed-acceptance"),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n", "test-log"),  # a program
        ("x.bin", os.urandom(4096), "test-report"),  # unknown binary
    ]
    for name, body, kind in cases:
        answer = _post(client, headers, name, body, kind)
        assert answer.status_code == 422, (name, answer.text)  # type: ignore[attr-defined]
    assert _stored(fresh) == set()


def test_a_buyer_cannot_upload_for_the_supplier_nor_without_a_session(fresh: World) -> None:
    client = client_for(fresh)
    anonymous = _post(client, {}, "a.pdf", PDF, "test-report")
    assert anonymous.status_code == 401  # type: ignore[attr-defined]
    finance = _post(client, bearer(fresh.users["acme-finance"]), "a.pdf", PDF, "test-report")
    assert finance.status_code == 403  # type: ignore[attr-defined]


def test_a_streamed_upload_is_cut_off_at_the_limit(fresh: World) -> None:
    """No Content-Length (chunked): the body is counted as it arrives."""
    client = client_for(fresh)
    boundary = "copactboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\ntest-report\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    sent = []

    def body() -> Iterator[bytes]:
        yield head + PDF
        for _ in range(64):  # 4 MiB, far over the 256 KiB limit
            sent.append(1)
            yield b"0" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = client.post(
        f"/api/v1/deals/{DEAL}/evidence",
        headers={
            **bearer(fresh.users["voltworks-account"]),
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        content=body(),
    )
    assert answer.status_code == 413
    assert _stored(fresh) == set()
