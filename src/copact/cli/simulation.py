"""`copact simulate`: the planned case and a Monte Carlo of one or several deals, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from copact.cli.authoring import load_for_commands
from copact.cli.console import OutputFormat, err, fail, out, read_text
from copact.finance.assumptions import Assumptions, load_assumptions
from copact.finance.mechanisms import MECHANISM_KINDS
from copact.finance.montecarlo import SimulationResult, build_model, simulate
from copact.finance.planned import simulation_json

__all__ = ["register"]


def _assumptions(path: Path) -> Assumptions:
    loaded = load_assumptions(read_text(path), str(path))
    if isinstance(loaded, list):
        for d in loaded:
            err().print(f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}", markup=False)
            err().print(f"  help: {d.hint}", markup=False)
        fail(f"{path}: the assumptions file has errors", 1)
    return loaded


def _k(amount: str) -> str:
    """Thousands with one decimal (``-193.9k``): the table is for reading, JSON for exactness."""
    return f"{float(amount) / 1000:,.1f}k"


def _mechanism_lines(parties: dict[str, dict[str, object]], title: str) -> list[str]:
    """One line per party with each mechanism's money (``+`` in, ``−`` out), when it has any:
    ``acme mechanisms (planned): convertible support -20,000.00 · service credits
    +23,000.00``."""
    lines = []
    for party, p in parties.items():
        money = p.get("mechanisms") or {}
        assert isinstance(money, dict)
        if money:
            parts = " · ".join(
                f"{MECHANISM_KINDS.get(k, k)} {float(v):+,.2f}" for k, v in money.items()
            )
            lines.append(f"{party} mechanisms ({title}): {parts}")
    return lines


def simulate_cmd(
    deals: Annotated[list[Path], typer.Argument(metavar="DEAL...", help="One or more deal files.")],
    assumptions: Annotated[
        Path | None, typer.Option(help="A Monte Carlo assumptions file (DESIGN §7).")
    ] = None,
    runs: Annotated[
        int | None,
        typer.Option(min=1, max=10_000_000, help="Runs (overrides the file), up to 10,000,000."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (overrides the file).")] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.text,
    plot: Annotated[
        Path | None, typer.Option(help="Draw NPV distributions and cash positions (.png/.svg).")
    ] = None,
) -> None:
    """Cash flows, NPV, IRR, peak exposure and payback per party; with --assumptions, a
    Monte Carlo of slips, failed milestones (settled by the exit terms), overruns (reimbursed
    under a cost-plus cap), volumes against their rebate tiers, bonuses and sales.

    Several deals are shown side by side, so a buyer can compare the structures it might
    offer a supplier: each party's money per mechanism (rebates, convertible support and its
    service credits, bonuses, revenue share, overruns reimbursed) is on its own line.

    Example: `copact simulate examples/hybrid-dc1.yaml --assumptions risk.yaml --runs 100000`
    """
    spec = _assumptions(assumptions) if assumptions else None
    docs = []
    results: dict[str, SimulationResult] = {}
    for path in deals:
        deal = load_for_commands(path)
        result = None
        try:
            if spec is not None:
                n = runs or spec.runs
                s = seed if seed is not None else spec.seed
                model = build_model(deal, spec)
                with Progress(console=err(), transient=True, disable=n < 50_000) as progress:
                    progress.add_task(f"simulating {deal.id} ({n:,} runs)", total=None)
                    result = simulate(model, runs=n, rng=np.random.default_rng(s), seed=s)
                results[deal.id] = result
            docs.append(simulation_json(deal, result, spec))
        except ValueError as exc:  # e.g. a convertible formula it cannot read
            fail(escape(f"{path}: {exc}"), 1)
    if plot is not None:
        from copact.finance.plot import draw_plot

        draw_plot(docs, results, plot)
        err().print(f"Wrote {plot}", markup=False)
    if format is OutputFormat.json:
        typer.echo(json.dumps({"deals": docs}, indent=2))
        return
    console = out()
    for doc in docs:
        name = f"{doc['deal']} ({doc['structure']})" if doc.get("structure") else doc["deal"]
        table = Table(title=f"{name}: planned case")
        for column in ("party", "NPV", "IRR", "peak exposure", "payback"):
            table.add_column(column, justify="left" if column == "party" else "right")
        for party, p in doc["planned"]["parties"].items():
            irr = f"{p['irr']:.1%}" if p["irr"] is not None else "n/a"
            table.add_row(
                party,
                f"{float(p['npv']):,.0f}",
                irr,
                f"{float(p['peak_exposure']):,.0f}",
                p["payback"] or "never",
            )
        console.print(table)
        lines = _mechanism_lines(doc["planned"]["parties"], "planned")
        for line in lines or ["mechanisms: none beyond the milestones, advance, fees and costs"]:
            console.print(line, markup=False)
        sim = doc["simulated"]
        if sim:
            t = Table(
                title=f"{name}: {sim['runs']:,} runs, seed {sim['seed']}, "
                f"completion {sim['completion']:.1%}"
            )
            t.add_column("party", overflow="fold")
            for column in ("NPV mean", "p5", "p50", "p95", "P(loss)", "IRR p50", "peak p95"):
                t.add_column(column, justify="right", no_wrap=True)
            for party, p in sim["parties"].items():
                irr = f"{p['irr_p50']:.1%}" if p["irr_p50"] is not None else "n/a"
                t.add_row(
                    party,
                    *(_k(p["npv"][k]) for k in ("mean", "p5", "p50", "p95")),
                    f"{p['p_loss']:.1%}",
                    irr,
                    _k(p["peak_exposure_p95"]),
                )
            console.print(t)
            for line in _mechanism_lines(sim["parties"], "mean per run"):
                console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_cmd)
