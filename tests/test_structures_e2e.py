"""Every structure of DESIGN §3.2 from `copact new` to an invoice and an exit settlement, on
the command line and on the web, in one workspace (issue 15's "done when").

For each structure, between Acme (buyer) and VoltWorks (supplier), EUR, starting 2026-01-05:
`copact new` → `check` (no error) → `simulate` → `init` → `deal add` → `sign` by a person of
each party (nothing operates before both signed the same version); then each mechanism the
starter holds runs its lifecycle, on the command line and over the JSON API with each side's
token, to at least one invoice or credit note whose figures the module works out by hand
(tests/lifecycles/, one module per mechanism); finally the buyer invokes a convenience exit on
the command line and its settlement is printed and shown by the API (and, where a lifecycle
says so, checked against what it invoiced)."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from copact.cli.app import app as cli
from copact.core.deal import Structure
from copact.dealfile.loader import load_deal
from tests.conftest import cli_ok
from tests.lifecycles.common import DEAL, Run, exit_settlement, web

runner = CliRunner()


def _lifecycle(mechanism: str) -> ModuleType:
    """A mechanism's lifecycle: ``tests/lifecycles/cost_plus.py`` for ``cost-plus``."""
    name = f"tests.lifecycles.{mechanism.replace('-', '_')}"
    return importlib.import_module(name)  # every mechanism a starter holds has one


@pytest.mark.parametrize("structure", list(Structure), ids=lambda s: s.value)
def test_each_structure_runs_from_new_to_an_invoice_and_an_exit(
    structure: Structure, tmp_path: Path
) -> None:
    path = tmp_path / "deal.yaml"
    ws = str(tmp_path / "ws")
    cli_ok(
        "new", "-s", structure.value, "--buyer", "Acme", "--supplier", "VoltWorks",
        "--currency", "EUR", "--start", "2026-01-05", "-o", str(path),
    )  # fmt: skip
    checked = runner.invoke(cli, ["check", str(path), "-f", "json"])
    assert checked.exit_code == 0, checked.output
    simulated = cli_ok("simulate", str(path), "-f", "json")
    assert json.loads(simulated)
    cli_ok("init", ws)
    cli_ok("deal", "add", str(path), "-w", ws)
    # nothing operates before a person of each party has signed the same version
    signed = cli_ok("sign", DEAL, "--by", "owner", "-w", ws)
    assert "signed by owner" in signed
    bound = cli_ok("sign", DEAL, "--by", "account-lead", "-w", ws)
    assert "signed by account-lead" in bound
    deal = load_deal(path).deal
    assert deal is not None and deal.id == DEAL

    workspace, client, tokens = web(ws)
    try:
        run = Run(deal=deal, ws=ws, tmp=tmp_path, client=client, tokens=tokens)
        modules = [_lifecycle(m) for m in deal.mechanisms]
        for module in modules:
            module.lifecycle(run)
        assert run.invoices(), "no lifecycle issued an invoice"

        settlement = exit_settlement(run)
        paid, earned = (Decimal(settlement[k]) for k in ("paid", "earned"))
        assert earned > 0  # what the supplier earned and was invoiced is counted
        if deal.prepaid is None and deal.convertible is None:
            assert paid == 0  # nothing paid up front: the buyer owes what was earned
        for module in modules:
            if hasattr(module, "settled"):
                module.settled(run, settlement)
    finally:
        workspace.engine.dispose()
