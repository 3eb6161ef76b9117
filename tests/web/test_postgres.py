"""The same app on PostgreSQL: migrations on start (``copact serve --database``), the flow
through a real uvicorn, and concurrent accepts giving one acceptance, one invoice and 409s.
Each test works in a schema of its own in the ``test`` database and drops it afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.web.conftest import DEAL, PDF, PNG, LiveServer, World, free_port, make_world

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _schema() -> str | None:
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        name = f"web_{uuid.uuid4().hex[:12]}"
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        return name
    except Exception:
        return None


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = _schema()
    if schema is None:
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432 (trust auth, database test)")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def pg_world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path / "ws", database=pg_url, all_roles=False)
    yield world
    world.workspace.engine.dispose()


def test_copact_serve_migrates_postgresql_on_start(pg_url: str, tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "copact.cli.app",
        "serve",
        "-w",
        str(tmp_path / "ws"),
        "--database",
        pg_url,
        "--port",
        str(port),
    ]
    server = subprocess.Popen(
        [sys.executable, "-c", "from copact.cli.app import main; main()", *command[3:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"copact serve did not start: {output}")
                time.sleep(0.2)
        assert answer.status_code == 200 and "Sign in" in answer.text
        engine = sa.create_engine(pg_url)
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        engine.dispose()
        assert {"events", "users", "sessions", "api_tokens", "access_log"} <= tables
    finally:
        server.terminate()
        server.wait(10)


def test_the_flow_and_a_race_on_postgresql(pg_world: World) -> None:
    with LiveServer(pg_world.app()) as live, httpx.Client(base_url=live.url) as http:
        sam = {"Authorization": f"Bearer {pg_world.users['voltworks-account'].token}"}
        hashes = []
        for name, body, kind in (
            ("receipt.pdf", PDF + b"r", "delivery-receipt"),
            ("report.pdf", PDF + b"t", "test-report"),
            ("site.png", PNG, "photo"),
        ):
            answer = http.post(
                f"/api/v1/deals/{DEAL}/evidence",
                headers=sam,
                files={"file": (name, body)},
                data={"kind": kind},
            )
            assert answer.status_code == 201, answer.text
            hashes.append(answer.json()["sha256"])
        submitted = http.post(
            f"/api/v1/deals/{DEAL}/milestones/hardware-delivery/submit",
            headers={**sam, "Idempotency-Key": "s1"},
            json={"evidence": hashes},
        )
        assert submitted.status_code == 200, submitted.text
        ana = {"Authorization": f"Bearer {pg_world.users['acme-owner'].token}"}
        barrier = threading.Barrier(12)
        codes: list[int] = []

        def accept() -> None:
            with httpx.Client(base_url=live.url) as own:
                barrier.wait()
                codes.append(
                    own.post(
                        f"/api/v1/deals/{DEAL}/milestones/hardware-delivery/accept",
                        headers={**ana, "Idempotency-Key": uuid.uuid4().hex},
                        timeout=30,
                    ).status_code
                )

        threads = [threading.Thread(target=accept) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(codes) == [200] + [409] * 11
        invoices = http.get(f"/api/v1/deals/{DEAL}/invoices", headers=ana).json()
        assert [i["total"] for i in invoices] == ["88200.00"]
