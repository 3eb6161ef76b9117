"""copact baseline: fit the gainshare baseline and report its statistics (DESIGN §6.5)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from copact.cli.authoring import load_for_commands
from copact.cli.console import err, fail, now, out
from copact.cli.workspace import open_workspace
from copact.core.deal import Deal
from copact.core.diagnostic import Diagnostic, Severity
from copact.errors import CopactError, NothingToDo, RefusedCommand
from copact.metering.baseline import FittedBaseline, baseline_to_json
from copact.services.baselines import draw_baseline_plot, fit_deal_baseline
from copact.services.gainshare_periods import (
    MonthResult,
    SavingsRequest,
    compute_month,
    record_month,
)
from copact.services.inputs import BadOption, MalformedInput, MissingTerms
from copact.services.views import describe

__all__ = ["register"]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def _print(problems: list[Diagnostic] | tuple[Diagnostic, ...]) -> None:
    console = err()
    for p in problems:
        style = "red" if p.severity == Severity.ERROR else "yellow"
        console.print(
            f"{p.path}:{p.line}:{p.column}: {p.code} {p.severity.value}: {p.message}",
            style=style,
            markup=False,
        )
        console.print(f"  help: {p.hint}", markup=False)


def _text(deal: Deal, fitted: FittedBaseline) -> None:
    doc = baseline_to_json(deal.id, fitted)
    model, fit = doc["model"], doc["fit"]
    table = Table(title=f"{deal.title}: {model['kind']} baseline", show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right", overflow="fold")
    table.add_row("form", str(model["form"] or "no model qualified"))
    if model["intercept"] is not None:
        table.add_row("intercept", f"{model['intercept']:.6g}")
    for key, label in (("beta_hdd", "β HDD"), ("beta_cdd", "β CDD")):
        if model[key] is not None:
            table.add_row(label, f"{model[key]:.6g}")
    for key, label in (
        ("heating_balance_point", "heating bp"),
        ("cooling_balance_point", "cooling bp"),
    ):
        if model[key] is not None:
            table.add_row(label, f"{model[key]} °F")
    for driver, value in model["coefficients"].items():
        table.add_row(f"β {driver}", f"{value:.6g}")
    table.add_row("n", str(fit["n"]))
    for key, label in (("r2", "R²"), ("adj_r2", "adjusted R²")):
        if fit[key] is not None:
            table.add_row(label, f"{fit[key]:.4f}")
    for key, label in (("cvrmse", "CV(RMSE)"), ("nmbe", "NMBE")):
        if fit[key] is not None:
            table.add_row(label, f"{fit[key]:.2%}")
    verdict = "[green]yes[/]" if fitted.accepted else "[bold red]no[/]"
    table.add_row("accepted", verdict)
    table.add_row("hash", fitted.hash)
    out().print(table)


def baseline(
    deal_path: Annotated[Path, typer.Argument(metavar="DEAL", help="A deal file with gainshare.")],
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            "-d",
            help="Baseline CSV: date (or start,end), observed, temperature_f, one column a driver.",
        ),
    ],
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = (
        OutputFormat.text
    ),
    plot: Annotated[
        Path | None, typer.Option(help="Draw the baseline against the actuals (.png/.svg/.pdf).")
    ] = None,
    locked: Annotated[
        str | None,
        typer.Option(help="The hash the baseline was locked with; a different fit is refused."),
    ] = None,
    change: Annotated[
        str | None,
        typer.Option(help="The approved change order that re-baselines (with --events)."),
    ] = None,
    events: Annotated[
        Path | None, typer.Option("--events", "-e", help="The journal holding --change.")
    ] = None,
    reporting: Annotated[
        Path | None,
        typer.Option(
            "--reporting",
            "-r",
            help="The reporting period's data (the same CSV format; observed is the actual "
            "use): with --period, the month's predicted use, actual use and savings.",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option("--period", "-p", help="With --reporting: the month YYYY-MM to settle."),
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Record the month's savings in the workspace's journal (with --reporting, "
            "--period, --workspace and --by): predicted, actual, S, the baseline's hash and "
            "the data files as evidence. A month is settled once; then `copact "
            "issue-gainshare-invoice DEAL PERIOD` bills it.",
        ),
    ] = False,
    by: Annotated[
        str | None, typer.Option("--by", help="With --record: the person recording it.")
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="With --record: the workspace it goes into."),
    ] = None,
) -> None:
    """Fit the deal's gainshare baseline (gainshare.model) and report n, R², adjusted R²,
    CV(RMSE), NMBE, whether it is accepted and the hash that locks it.

    Kinds: `caltrack-daily` (CalTRACK 2.0 as OpenEEmeter fits it: HDD/CDD balance points
    30–90 °F, the best qualified candidate by adjusted R², CalTRACK's data-sufficiency rules),
    `caltrack-billing` (the same, weighted by days per period) and `linear` (least squares on
    the named drivers, per day or per month). Accepted means sufficient data, a qualified model
    and CV(RMSE) and |NMBE| within the deal's `max-cvrmse` and `max-nmbe`.

    Locking: once both sides agree on a fit, write the hash it printed into the deal
    (`gainshare.baseline.hash`); from then on a fit with another hash is refused. `--locked
    HASH` does the same for a deal that does not hold it. A re-baseline is a change order:
    `--change ID` with `--events` names one that amends the gainshare and was approved after
    the lock as the deal's `rebaseline` rule asks.

    Exit codes: 0 the baseline is accepted; 1 the data has errors (each named file:line), the
    baseline is not accepted (the result is still printed) or a re-baseline is refused;
    2 could not run (no such file, no gainshare model in the deal).

    Savings: `--reporting FILE --period YYYY-MM` predicts the month from the locked baseline
    and prints S = predicted − actual; `--record --by PERSON -w WS` records it in the journal
    (a refit whose hash is not the deal's is refused), and the month is then invoiced with
    `copact issue-gainshare-invoice` and each contract year trued up with `copact
    true-up-gainshare`.

    Example: `copact baseline examples/hybrid-dc1.yaml --data examples/baseline/hybrid-dc1-fuel.csv`

    Example: `copact baseline examples/hybrid-dc1.yaml -d examples/baseline/hybrid-dc1-fuel.csv
    -r examples/baseline/hybrid-dc1-2027.csv -p 2027-03 --record --by sam -w ws`
    """
    if (reporting is None) != (period is None):
        fail("--reporting and --period go together: the month's data and the month")
    if record and (reporting is None or workspace is None or not by):
        fail(
            "--record needs --reporting and --period (the month), --workspace (the journal it "
            "goes into) and --by (who records it)"
        )
    deal = load_for_commands(deal_path)
    with _told(str(deal_path), refused="refused"):
        result = fit_deal_baseline(
            deal, data, locked=locked, change=change, events=events, on=date.today()
        )
    fitted = result.fitted
    _print(fitted.findings)
    if plot is not None:
        try:
            draw_baseline_plot(result, plot)
        except BadOption as exc:
            fail(str(exc))
        err().print(f"Wrote {plot}", markup=False)
    request = month = None
    if fitted.accepted and reporting is not None and period is not None:
        request = SavingsRequest(data=data, reporting=reporting, period=period)
        month = _month(deal, request)  # printed with the fit, recorded after it
    if format is OutputFormat.json:
        document = result.to_json()
        if month is not None:
            document["savings"] = _savings_json(deal, month)
        typer.echo(json.dumps(document, indent=2))
    else:
        _text(deal, fitted)
        if month is not None:
            typer.echo(_savings_line(deal, month))
    if not fitted.accepted:
        raise typer.Exit(1)
    if record and request is not None:
        assert workspace is not None and by is not None
        _record(deal, request, workspace, by)


@contextmanager
def _told(where: str, *, refused: str) -> Iterator[None]:
    """Fitting or settling a month's errors, told as ``copact baseline`` tells them: a bad
    option or missing terms exit 2; malformed data (each problem with its file and line) and a
    refusal (``refused``: its prefix) exit 1."""
    try:
        yield
    except MissingTerms as exc:
        fail(f"{where}: {exc.reason}")
    except BadOption as exc:
        fail(exc.said(lambda name: f"--{name}"))
    except MalformedInput as exc:
        _print(exc.problems)
        fail(exc.summary, 1)
    except NothingToDo:
        raise  # the caller's to tell: nothing new, not a refusal
    except RefusedCommand as exc:
        fail(f"{refused}: {exc}", 1)


def _month(deal: Deal, request: SavingsRequest) -> MonthResult:
    with _told(deal.id, refused="refused"):
        return compute_month(deal, request)


def _savings_line(deal: Deal, month: MonthResult) -> str:
    """The month's figures, printed after the fit's."""
    s = month.savings
    unit = deal.gainshare.measure if deal.gainshare else ""
    return (
        f"{month.period}: predicted {s.predicted} {unit}, actual {s.actual}, "
        f"savings S = {s.savings}"
    )


def _savings_json(deal: Deal, month: MonthResult) -> dict[str, str]:
    """The month's figures in the baseline's JSON document (``savings``): quantities as
    decimal strings, in the gainshare's measure."""
    s = month.savings
    return {
        "period": month.period,
        "unit": deal.gainshare.measure if deal.gainshare else "",
        "predicted": str(s.predicted),
        "actual": str(s.actual),
        "savings": str(s.savings),
    }


def _record(deal: Deal, request: SavingsRequest, workspace: Path, by: str) -> None:
    """Record the month in the journal (told on stderr): refused (exit 1) when the guard
    refuses it, nothing to do when it is already recorded from the same data."""
    ws = open_workspace(workspace)
    try:
        with _told(deal.id, refused=deal.id):
            _, outcome = record_month(ws, deal.id, request, by=by, clock=now)
    except NothingToDo as exc:
        err().print(f"{deal.id}: {exc}: nothing new was recorded", markup=False)
        return
    except CopactError as exc:
        fail(str(exc))
    for seq, event in zip(outcome.seqs, outcome.events, strict=True):
        err().print(f"✓ {describe(event)} (event {seq})", markup=False)


def register(app: typer.Typer) -> None:
    """Add `copact baseline` to the app."""
    app.command("baseline")(baseline)
