"""Benchmark: import a long journal into a workspace and fold it, before and after issue 14 §5.

The journal is hybrid-dc1's (``examples/hybrid-dc1.yaml``) over a year, each event made by its
command on the state of the events before it, so the import admits every one: the milestones'
story (a rejection and resubmission, a deemed acceptance, five invoices, gate votes) and around
it, in turn, what a running deal fills its journal with. For 30,000 events: about 18% payments
recorded by the payer (``by``), for the oldest open invoice or else on account, and as many
confirmations by the payee a few events later; refunds of what is held on account; 20%
decisions, 12% maintenance windows, 6% each of gate votes, risk updates (and new risks), work
claims and change orders proposed, then approved or turned down.

Two measurements per size N, in a fresh process each, ``--rounds`` times (after, then before,
in turn: a machine others share slows down and speeds up by half within minutes, and a
pair of runs next to each other sees the same machine):

- fold: ``deal_state`` of the N events (parsed beforehand; after one small fold that loads
  the holiday calendar, so one-time costs are not counted), the best of three;
- import: ``Workspace.import_journal`` of the journal text into a fresh SQLite workspace: it
  parses, checks every event against the guards on the state of its day (a running fold),
  appends and hashes, and folds again for the change orders it approved.

"Before" is the baseline commit (``4bc1865``: the fold that copies everything that grows with
the journal on every event) checked out as a git worktree in a temp folder and run with its
``src`` first on ``PYTHONPATH``; "after" is this checkout's ``src``. Two tables, by the wall
clock and by the measuring process's CPU time, give N, the medians of before and after, the
median of the rounds' ratios and the after's µs per event: flat across N when the cost is
linear. A before estimated (from the last size it ran at, growing as N², as the old fold does)
to take more than ``--cap`` seconds is skipped and its estimate printed.

A third row, ``floor``, is what the after's import does besides its guards and its writes
(parse every line, chain the hashes of the canonical events, fold once): its ratio, the
before's import ÷ that floor, is the most any import could gain on the before, were checking
every line on the state of its day and inserting it free.

Goal (issue 14 §5): 30,000 events imported and folded at least 10× faster than before, and
linear.

    .venv/bin/python bench/fold.py [--sizes 10000,30000,100000] [--baseline 4bc1865] [--cap 180]
        [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEAL_FILE = Path(os.environ.get("COPACT_BENCH_DEAL", ROOT / "examples" / "hybrid-dc1.yaml"))
"""The deal: hybrid-dc1 as the baseline commit has it, for before and after alike (main sets
``COPACT_BENCH_DEAL``), so both import the same journal of the same deal and the before can
read the file (the example gained party details and a tax rule the baseline does not know)."""
CLOCK = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)  # the workspace's clock: after the journal
FIRST = date(2026, 6, 1)
DAYS = 365
FOLDS = 3  # the fold is timed this many times, the best kept (the machine may be shared)


# --- the journal ------------------------------------------------------------------------------


STORY = [  # (days after FIRST, what happens, to which milestone or phase)
    (37, "submit", "design-approval"),
    (39, "reject", "design-approval"),
    (42, "submit", "design-approval"),  # resubmitted inside the cure period
    (44, "accept", "design-approval"),
    (45, "invoice", "design-approval"),  # 0.00: the supplier funds the design phase
    (49, "gate", "design"),
    (119, "submit", "hardware-delivery"),  # nobody answers: deemed accepted 5 business days on
    (129, "invoice", "hardware-delivery"),
    (172, "submit", "installation"),
    (176, "accept", "installation"),
    (178, "invoice", "installation"),
    (190, "gate", "build"),
    (195, "submit", "commissioning"),
    (198, "accept", "commissioning"),
    (200, "invoice", "commissioning"),
    (303, "submit", "stable-90-days"),
    (307, "accept", "stable-90-days"),
    (310, "invoice", "stable-90-days"),
]
FILLER = [  # what the other events are, in turn
    *("pay", "confirm", "decision", "risk", "refund", "window", "propose", "approve"),
    *("pay", "confirm", "decision", "claim", "gate", "window", "confirm", "note"),
]


def build_journal(n: int) -> str:
    """``n`` events of hybrid-dc1 over a year as JSON Lines, each made by its command on the
    state of the events before it (what :data:`STORY` says on its days, :data:`FILLER` in
    between, as many each day)."""
    import hashlib

    from copact.core import commands
    from copact.core.changes import approve_change, propose_change, reject_change
    from copact.core.events import Event, EvidenceRef, Signed, dumps_events
    from copact.core.state import RunningFold
    from copact.dealfile.loader import load_deal

    deal = load_deal(DEAL_FILE).deal
    assert deal is not None
    specs = {m.id: m for m in deal.milestones}
    events: list[Event] = []
    running = RunningFold(deal)
    pending: deque[tuple[str, str]] = deque()  # payments to confirm: (ref, the payee's person)

    def evidence(milestone: str) -> list[EvidenceRef]:
        acceptance = specs[milestone].acceptance
        kinds = acceptance.evidence if acceptance else []
        digest = hashlib.sha256
        return [
            EvidenceRef(name=f"{k}.pdf", sha256=digest(k.encode()).hexdigest(), kind=k)
            for k in kinds
        ]

    def happen(day: date, what: str, name: str, k: int) -> list[Event]:
        state = running.state_on(day)
        match what:
            case "submit":
                return commands.submit(
                    deal, state, milestone=name, evidence=evidence(name), by="sam", at=day
                )
            case "reject":
                return commands.reject(
                    deal,
                    state,
                    milestone=name,
                    by="ana",
                    reasons=["60 days of load data, not 90"],
                    at=day,
                )
            case "accept":
                return commands.accept(deal, state, milestone=name, by="ana", at=day)
            case "invoice":
                return commands.invoice_for(deal, state, milestone=name, number=f"VW-{k}", at=day)
            case "gate":
                return commands.decide_gate(
                    deal,
                    state,
                    phase=name,
                    decision="proceed",
                    by="ana" if k % 2 else "sam",
                    at=day,
                )
            case "confirm":
                if not pending:
                    return happen(day, "note", name, k)
                ref, by = pending.popleft()
                return commands.confirm_payment(deal, state, ref=ref, by=by, at=day)
            case "pay":  # for the oldest open invoice, else held on account
                owed = [i for i in state.book_once_confirmed.invoices if not i.outstanding.is_zero]
                amount, for_ = Decimal(100 + k % 997), None
                if owed:
                    amount, for_ = min(amount, owed[0].outstanding.amount), owed[0].number
                pending.append((f"P-{k}", "sam"))
                return commands.pay(
                    deal,
                    state,
                    payer="acme",
                    payee="voltworks",
                    amount=amount,
                    ref=f"P-{k}",
                    at=day,
                    for_=for_,
                    by="raj",
                )
            case "refund":  # what is held on account goes back, so invoices are paid for
                held = state.book_once_confirmed.on_account.get(("acme", "voltworks"))
                if held is None or held.is_zero:
                    return happen(day, "note", name, k)
                pending.append((f"R-{k}", "raj"))
                return commands.pay(
                    deal,
                    state,
                    payer="voltworks",
                    payee="acme",
                    amount=held.amount,
                    ref=f"R-{k}",
                    at=day,
                    by="sam",
                )
            case "decision" | "note":
                who = ["ana", "sam"] if what == "decision" else ["raj"]
                return commands.log_decision(
                    deal,
                    state,
                    decision=f"review {k}: carry on",
                    by=who,
                    topic="steering" if what == "decision" else None,
                    at=day,
                )
            case "risk" if k % 48 == 3:  # now and then a new risk
                return commands.update_risk(
                    deal,
                    state,
                    risk=f"risk-{k}",
                    by="ana",
                    at=day,
                    description=f"a risk seen in review {k}",
                    likelihood="low",
                    impact="medium",
                    owner="sam",
                )
            case "risk":
                status = "mitigated" if k % 32 == 19 else "open"
                return commands.update_risk(
                    deal,
                    state,
                    risk="battery-lead-time",
                    by="sam",
                    at=day,
                    status=status,
                    mitigation=f"step {k}",
                )
            case "window":
                start = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
                kind = "planned" if k % 2 else "excluded"
                return commands.record_window(
                    deal,
                    state,
                    site="dc1",
                    start=start,
                    end=start + timedelta(hours=1),
                    kind=kind,
                    by="ana",
                    note=None,
                    at=day,
                )
            case "propose":
                return propose_change(
                    deal,
                    state.changes,
                    change=f"co-{k}",
                    amount=Decimal(1000 + k % 37 * 100),
                    patch=None,
                    by="sam",
                    at=day,
                )
            case "approve":  # the change proposed just before; now and then turned down
                decide = reject_change if k % 64 == 7 else approve_change
                return decide(deal, state.changes, change=f"co-{k - 1}", by="raj", at=day)
            case "claim" if all(m.state == "accepted" for m in state.milestones.values()):
                return happen(day, "note", name, k)  # no work is left to claim for
            case "claim":
                return commands.claim(  # small: the claims of a stretch stay within its work
                    deal,
                    state,
                    amount=Decimal(10),
                    for_="installation rework",
                    evidence=[],
                    at=day,
                    by="sam",
                )
        raise AssertionError(what)

    def add(made: list[Event]) -> None:
        for event in made:
            events.append(event)
            running.push(event)

    add([Signed(at=FIRST - timedelta(days=10), deal=deal.id, by=["ana", "sam"])])
    story = {offset: (what, name) for offset, what, name in STORY}
    k = 0
    for d in range(DAYS):
        day = FIRST + timedelta(days=d)
        if d in story:
            add(happen(day, *story[d], len(events)))
        quota = (n - 1) * (d + 1) // DAYS - (n - 1) * d // DAYS
        for _ in range(quota):
            add(happen(day, FILLER[k % len(FILLER)], "build", k))  # its gate votes
            k += 1
    return dumps_events(events[:n])  # the story's events took a few places: the last are cut


CENT = Decimal("0.01")


# --- one measurement, in its own process ------------------------------------------------------


def measure(journal_file: Path, *, floor: bool = False) -> dict[str, float]:
    """Seconds to fold the journal, then to import it into a fresh SQLite workspace (wall
    clock and this process's CPU time); with ``floor``, also what an import costs at the
    least: :func:`floor_of`."""
    from copact.core.events import parse_events
    from copact.core.state import deal_state
    from copact.dealfile.loader import load_deal
    from copact.services.workspace import Workspace

    text = journal_file.read_text(encoding="utf-8")
    events, problems = parse_events(text, str(journal_file))
    assert not problems, problems[0]
    deal = load_deal(DEAL_FILE).deal
    assert deal is not None
    deal_state(deal, events[:100], on=CLOCK.date())  # once per process: the holiday calendar
    folds = []
    for _ in range(FOLDS):
        began, cpu = time.perf_counter(), time.process_time()
        state = deal_state(deal, events, on=CLOCK.date())
        folds.append((time.perf_counter() - began, time.process_time() - cpu))
        assert len(state.decisions) > 0
    folded = min(w for w, _ in folds), min(c for _, c in folds)
    del state, events
    with tempfile.TemporaryDirectory(prefix="copact-bench-fold-") as folder:
        ws = Workspace.init(Path(folder) / "ws", database=None, clock=lambda: CLOCK)
        ws.add_deal(DEAL_FILE.read_text(encoding="utf-8"), str(DEAL_FILE))
        began, cpu = time.perf_counter(), time.process_time()
        count = ws.import_journal("hybrid-dc1", text, str(journal_file))
        imported = time.perf_counter() - began, time.process_time() - cpu
        assert count == len(text.splitlines()), count
        ws.engine.dispose()
    figures = {
        "import_s": imported[0],
        "fold_s": folded[0],
        "import_cpu_s": imported[1],
        "fold_cpu_s": folded[1],
    }
    if floor:
        least = min((floor_of(text, deal) for _ in range(FOLDS)), key=lambda f: f[0])
        figures.update(floor_s=least[0], floor_cpu_s=least[1])
    return figures


def floor_of(text: str, deal: Any) -> tuple[float, float]:
    """Seconds (wall, CPU) of what any import of ``text`` does besides its guards and its
    writes: parse every line, chain the SHA-256 of each event's canonical JSON, and fold the
    events once. An import whose guards and inserts cost nothing would take this long, so
    before ÷ floor is the most any import could gain on the before."""
    from copact.core.events import canonical_json, parse_events
    from copact.core.state import deal_state
    from copact.store.journal import chain_hash

    gc.disable()  # as the import pauses it
    try:
        began, cpu = time.perf_counter(), time.process_time()
        events, _ = parse_events(text, "floor")
        head = ""
        for event in events:
            head = chain_hash(head, canonical_json(event))
        deal_state(deal, events, on=CLOCK.date())
        return time.perf_counter() - began, time.process_time() - cpu
    finally:
        gc.enable()


def _run(src: Path, journal_file: Path, *, floor: bool = False) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(journal_file), *(["--floor"] if floor else [])],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


# --- before and after -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--baseline", default="4bc1865", help="the commit measured as before")
    parser.add_argument("--cap", type=float, default=180.0, help="skip a longer before (s)")
    parser.add_argument("--rounds", type=int, default=3, help="after and before, in turn")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, floor=args.floor)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="copact-bench-fold-") as folder:
        tmp = Path(folder)
        tree = tmp / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.baseline],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        global DEAL_FILE
        DEAL_FILE = tree / "examples" / "hybrid-dc1.yaml"
        os.environ["COPACT_BENCH_DEAL"] = str(DEAL_FILE)  # for the measuring processes
        try:
            rows = _compare(sizes, tmp, tree / "src", args.cap, args.rounds)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False
            )
    _table(rows, "wall")
    _table(rows, "cpu")


Figures = dict[str, float]
Row = tuple[int, Figures, Figures | None, Figures, Figures]


def _median(runs: list[Figures]) -> Figures:
    return {k: median(r[k] for r in runs) for k in runs[0]}


def _compare(sizes: list[int], tmp: Path, before_src: Path, cap: float, rounds: int) -> list[Row]:
    """Per size: the after's median figures, the before's (``None`` when skipped), from the
    last before that ran what the before would take at this size if it grows as N², and the
    median of the rounds' ratios (before ÷ after, each round's pair run one after the other)."""
    rows: list[Row] = []
    last: tuple[int, Figures] | None = None  # N and figures of the last before run
    for n in sizes:
        journal_file = tmp / f"journal-{n}.jsonl"
        began = time.perf_counter()
        journal_file.write_text(build_journal(n), encoding="utf-8")
        print(f"N={n:,}: journal built in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        estimate = {k: v * (n / last[0]) ** 2 for k, v in last[1].items()} if last else {}
        run_before = not estimate or estimate["import_s"] + estimate["fold_s"] <= cap
        afters: list[Figures] = []
        befores: list[Figures] = []
        for r in range(rounds):
            afters.append(_run(ROOT / "src", journal_file, floor=True))
            if run_before:
                befores.append(_run(before_src, journal_file))
            seen = befores[-1] if befores else estimate
            print(f"N={n:,} round {r + 1}: after {afters[-1]}, before {seen}", file=sys.stderr)
        after = _median(afters)
        before = _median(befores) if befores else None
        ratios = (
            {
                k: median(
                    b[k.replace("floor", "import")] / a[k]
                    for a, b in zip(afters, befores, strict=True)
                )
                for k in after
            }
            if befores
            else {}
        )
        if before is not None:
            last = (n, before)
        rows.append((n, after, before, estimate, ratios))
    return rows


def _table(rows: list[Row], clock: str) -> None:
    suffix = "_s" if clock == "wall" else "_cpu_s"
    print(f"\n{clock} clock" + (" (CPU time of the measuring process)" if clock == "cpu" else ""))
    head = (
        f"{'N':>8}  {'what':<6}  {'before s':>20}  {'after s':>8}  {'ratio':>6}"
        f"  {'after µs/event':>14}"
    )
    print(head)
    print("-" * len(head))
    for n, after, before, estimate, ratios in rows:
        for what in ("import", "fold", "floor"):
            key = what + suffix
            now = after[key]
            was = key.replace("floor", "import")  # the floor is of the before's import
            if before is None:
                shown, ratio = f"skipped (est. {estimate[was]:.0f} s)", "-"
            else:
                shown, ratio = f"{before[was]:.2f}", f"{ratios[key]:.1f}x"
            per_event = now / n * 1e6
            print(f"{n:>8,}  {what:<6}  {shown:>20}  {now:>8.2f}  {ratio:>6}  {per_event:>14.1f}")


if __name__ == "__main__":
    main()
