"""Benchmark: 32 concurrent HTTP clients accepting and invoicing milestones against a real
``copact serve`` on PostgreSQL (a subprocess on loopback), then a check that every accepted
milestone has exactly one acceptance and at most one invoice (exactly one when its invoice
amount is not zero).

Set-up (not timed): a fresh schema in the ``test`` database, ``--deals`` copies of
hybrid-dc1 registered and signed by Ana and Sam, every milestone submitted with its evidence
through the services, a buyer and a supplier user with API tokens. Timed: each client takes
(deal, milestone) pairs off a shared queue and sends ``POST …/accept`` (which issues the
invoice in the same transaction) then ``GET …/invoices``; a quarter of the accepts are also
sent twice by two clients at once, to show the losers get 409, never 500.

Goal (issue 6): at least 300 requests/s with p99 under 100 ms on a 2-core machine. Two ways
to read it: ``--rate 300`` offers 300 requests/s (open loop) and measures the latency at that
load; without it, 32 clients go as fast as answers come (closed loop), which measures the most
the server does, and a latency that is necessarily 32 / throughput (Little's law).

    .venv/bin/python bench/api.py [--deals 200] [--clients 32] [--workers 2] [--rate 300]

``--before REV`` (say ``--before 4bc1865``) measures the same load on that commit too, in the
same run: its tree is checked out as a git worktree in a temp folder and its own
``bench/api.py`` runs with its ``src`` first on the path, alternating with this tree's
``--rounds`` times; the figures of each round are printed, then the medians side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from statistics import median, quantiles

import httpx
import sqlalchemy as sa

from copact.services import operations as ops
from copact.services.accounts import Accounts, AccountSettings
from copact.services.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
SAMPLE = {"photo": PNG, "telemetry-export": b"ts,kw\n2026-01-01T00:00Z,1\n"}


def _now() -> datetime:
    return datetime.now(UTC)


def set_up(root: Path, url: str, deals: int) -> tuple[list[tuple[str, str]], str, str]:
    ws = Workspace.init(root, database=url, clock=_now)
    text = (ROOT / "examples" / "hybrid-dc1.yaml").read_text()
    pairs = []
    for n in range(deals):
        deal_id = f"bench-{n:04d}"
        deal, _ = ws.add_deal(text.replace("id: hybrid-dc1", f"id: {deal_id}", 1), deal_id)
        for person in ("ana", "sam"):  # nothing operates a deal before both parties signed it
            ops.execute(ops.Sign(deal=deal_id, by=person), uow=ws, clock=_now)
        for m in deal.milestones:
            hashes = []
            kinds = m.acceptance.evidence if m.acceptance else []
            for kind in kinds:
                body = SAMPLE.get(kind, PDF) + f"{deal_id}/{m.id}/{kind}".encode()
                if kind == "photo":
                    body = PNG
                record = ws.add_evidence(
                    deal_id, io.BytesIO(body), name=f"{kind}.bin", kind=kind, by="sam"
                )
                hashes.append(record.sha256)
            ops.execute(
                ops.Submit(deal=deal_id, milestone=m.id, by="sam", evidence=tuple(hashes)),
                uow=ws,
                clock=_now,
            )
            pairs.append((deal_id, m.id))
    accounts = Accounts(ws.engine, AccountSettings(), _now)
    accounts.create_user(
        username="ana", name="Ana", party="acme", role="owner", password="x" * 16, person="ana"
    )
    accounts.create_user(
        username="raj", name="Raj", party="acme", role="finance", password="x" * 16, person="raj"
    )
    ana, raj = accounts.create_token("ana", "bench"), accounts.create_token("raj", "bench")
    ws.engine.dispose()
    return pairs, ana, raj


class Pacer:
    """Open loop: requests leave at ``rate`` a second whatever the answers' latency (a closed
    loop of N clients can only measure latency = N / throughput)."""

    def __init__(self, rate: float | None) -> None:
        self.gap = 1 / rate if rate else 0.0
        self.next = time.perf_counter()

    async def wait(self) -> None:
        if not self.gap:
            return
        self.next += self.gap
        delay = self.next - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def run_clients(
    base: str,
    pairs: list[tuple[str, str]],
    clients: int,
    ana: str,
    raj: str,
    rate: float | None = None,
) -> tuple[list[float], Counter[int], float]:
    queue: asyncio.Queue[tuple[str, str, bool]] = asyncio.Queue()
    # milestone by milestone across the deals, so clients mostly work on different deals
    order = sorted(pairs, key=lambda p: (pairs.index(p) % 5, p[0]))
    for i, (deal, milestone) in enumerate(order):
        queue.put_nowait((deal, milestone, i % 4 == 0))
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)

    async def client(http: httpx.AsyncClient) -> None:
        while True:
            try:
                deal, milestone, race = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            path = f"/api/v1/deals/{deal}/milestones/{milestone}/accept"
            headers = {"Authorization": f"Bearer {ana}"}

            async def accept(path: str = path, headers: dict[str, str] = headers) -> None:
                await pacer.wait()
                key = uuid.uuid4().hex  # the same key on a retry: never a second acceptance
                await send("POST", path, {**headers, "Idempotency-Key": key})

            if race:
                await asyncio.gather(accept(), accept())
            else:
                await accept()
            await pacer.wait()
            await send("GET", f"/api/v1/deals/{deal}/invoices", {"Authorization": f"Bearer {raj}"})

    async def send(method: str, path: str, headers: dict[str, str]) -> None:
        """One request, retried once when the connection drops (a kept-alive connection the
        server closed as it was reused): what any HTTP client does."""
        for attempt in range(2):
            t = time.perf_counter()
            try:
                answer = await http.request(method, path, headers=headers)
            except httpx.TransportError:
                if attempt:
                    raise
                codes[0] += 1  # 0: a dropped connection, retried
                continue
            latencies.append(time.perf_counter() - t)
            codes[answer.status_code] += 1
            return

    reader = {"Authorization": f"Bearer {raj}"}
    http = httpx.AsyncClient(base_url=base, limits=limits, timeout=60)
    async with http:
        # warm-up (not timed): a running server has read each deal file once per process
        # (YAML, parsed once per text); three rounds, so every worker sees every deal
        deals = sorted({d for d, _ in pairs})
        for _ in range(3):
            for i in range(0, len(deals), clients):
                await asyncio.gather(
                    *(
                        http.get(f"/api/v1/deals/{d}/milestones", headers=reader)
                        for d in deals[i : i + clients]
                    )
                )
        pacer = Pacer(rate)
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return latencies, codes, elapsed


def check(url: str, pairs: list[tuple[str, str]]) -> tuple[int, int, list[str]]:
    """(acceptances, invoices, problems): one acceptance per milestone, one invoice per
    invoiced milestone (design-approval is funded by the supplier: invoice amount 0)."""
    engine = sa.create_engine(url)
    problems = []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT deal, type, once FROM events WHERE type IN ('accepted','invoice')")
        ).all()
    engine.dispose()
    accepted = Counter((d, o) for d, t, o in rows if t == "accepted")
    invoiced = Counter((d, o) for d, t, o in rows if t == "invoice")
    for deal, milestone in pairs:
        if accepted[(deal, f"accepted:{milestone}")] != 1:
            problems.append(
                f"{deal} {milestone}: {accepted[(deal, f'accepted:{milestone}')]} acceptances"
            )
        want = 0 if milestone == "design-approval" else 1
        if invoiced[(deal, f"invoice:{milestone}")] != want:
            problems.append(
                f"{deal} {milestone}: {invoiced[(deal, f'invoice:{milestone}')]} invoices"
            )
    return sum(accepted.values()), sum(invoiced.values()), problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offered requests/s (open loop); default: as fast as the clients go",
    )
    parser.add_argument("--before", metavar="REV", help="also measure this commit, alternating")
    parser.add_argument("--rounds", type=int, default=3, help="with --before: rounds of each")
    args = parser.parse_args()
    if args.before:
        compare(args)
        return
    measure(args)


def compare(args: argparse.Namespace) -> None:
    """This tree against ``args.before``, alternating, each a whole ``bench/api.py`` run."""
    passed = ["--deals", str(args.deals), "--clients", str(args.clients)]
    passed += ["--workers", str(args.workers), "--port", str(args.port)]
    if args.rate:
        passed += ["--rate", str(args.rate)]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.before],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
            for n in range(args.rounds):
                for name, where in (("before", tree), ("after", ROOT)):
                    env = {**os.environ, "PYTHONPATH": str(where / "src")}
                    done = subprocess.run(
                        [sys.executable, str(where / "bench" / "api.py"), *passed],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=False,
                    )
                    if done.returncode != 0:
                        raise SystemExit(f"{name} failed:\n{done.stdout}{done.stderr}")
                    rate = float(_figure(done.stdout, r"throughput ([\d,]+) requests/s"))
                    p99 = float(_figure(done.stdout, r"p99 ([\d.]+) ms"))
                    runs[name].append((rate, p99))
                    print(f"round {n + 1} {name:6}  {rate:,.0f} requests/s  p99 {p99:,.1f} ms")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
    before = [r for r, _ in runs["before"]], [p for _, p in runs["before"]]
    after = [r for r, _ in runs["after"]], [p for _, p in runs["after"]]
    print(
        f"median of {args.rounds}: before ({args.before}) {median(before[0]):,.0f} requests/s, "
        f"p99 {median(before[1]):,.1f} ms; after {median(after[0]):,.0f} requests/s, "
        f"p99 {median(after[1]):,.1f} ms; ratio {median(after[0]) / median(before[0]):.2f}"
    )


def _figure(text: str, pattern: str) -> str:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"no {pattern!r} in:\n{text}")
    return found.group(1).replace(",", "")


def measure(args: argparse.Namespace) -> None:
    engine = sa.create_engine(PG)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{PG}?options=-csearch_path%3D{schema}"
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "ws"
            t = time.perf_counter()
            pairs, ana, raj = set_up(root, url, args.deals)
            print(
                f"set-up: {args.deals} deals, {len(pairs)} milestones submitted "
                f"in {time.perf_counter() - t:.1f} s"
            )
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from copact.cli.app import main; main()",
                    "serve",
                    "-w",
                    str(root),
                    "--database",
                    url,
                    "--port",
                    str(args.port),
                    "--workers",
                    str(args.workers),
                ],
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            base = f"http://127.0.0.1:{args.port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/login", timeout=1)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.2)
            latencies, codes, elapsed = asyncio.run(
                run_clients(base, pairs, args.clients, ana, raj, args.rate)
            )
            n = len(latencies)
            cuts = quantiles(latencies, n=100)
            offered = f", offered at {args.rate:.0f}/s" if args.rate else " (closed loop)"
            print(
                f"{n} requests by {args.clients} clients in {elapsed:.2f} s{offered} "
                f"against {args.workers} uvicorn worker(s) on PostgreSQL"
            )
            print(f"  throughput {n / elapsed:,.0f} requests/s")
            print(
                f"  latency p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms, "
                f"max {max(latencies) * 1000:.1f} ms"
            )
            print(
                f"  status codes {dict(sorted(codes.items()))} "
                "(409: the loser of a concurrent accept)"
            )
            acceptances, invoices, problems = check(url, pairs)
            print(
                f"  journal: {acceptances} acceptances, {invoices} invoices for "
                f"{len(pairs)} milestones; {'OK' if not problems else 'PROBLEMS'}"
            )
            for p in problems[:10]:
                print("   ", p)
            if problems or any(c >= 500 for c in codes):
                raise SystemExit(1)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


if __name__ == "__main__":
    main()
