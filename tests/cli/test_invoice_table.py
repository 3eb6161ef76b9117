"""`copact state` shows where each invoice stands: the example journal's design-freeze invoice
(14,800.00: 20% of 185,000 × Ridgeline's 40%) is settled from the 30,000 advance."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from copact.core.events import Invoice, InvoiceLine, canonical_json
from tests.conftest import EXAMPLES

runner = CliRunner()
DEAL = str(EXAMPLES / "heat-sensor-housing.yaml")
JOURNAL = EXAMPLES / "journals" / "heat-sensor-housing.jsonl"


def _with_invoice(tmp_path: Path) -> str:
    invoice = Invoice(
        at="2026-09-18",
        deal="heat-sensor-housing",
        number="K-1",
        from_="kestrel",
        to="ridgeline",
        lines=[InvoiceLine(for_="design-freeze", amount="14800.00")],
        due="2026-10-18",
    )
    lines = JOURNAL.read_text().splitlines()
    lines.insert(5, canonical_json(invoice))  # just after the acceptance
    path = tmp_path / "journal.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_state_shows_an_invoice_settled_from_the_advance_as_paid(tmp_path: Path) -> None:
    events = _with_invoice(tmp_path)
    result = runner.invoke(app, ["state", DEAL, "-e", events, "--on", "2026-12-01", "-f", "json"])
    assert result.exit_code == 0, result.output
    (invoice,) = json.loads(result.output)["invoices"]
    assert (invoice["from_advance"], invoice["outstanding"], invoice["status"]) == (
        "14800.00",
        "0.00",
        "paid",
    )
    text = runner.invoke(
        app, ["state", DEAL, "-e", events, "--on", "2026-12-01"], env={"COLUMNS": "200"}
    )
    assert text.exit_code == 0, text.output
    row = next(line for line in text.output.splitlines() if "K-1" in line)
    assert "14,800.00" in row and "paid" in row and "overdue" not in row
    assert "from advance" in text.output and "outstanding" in text.output


def test_the_invoices_list_starts_with_the_advances_invoice(tmp_path: Path) -> None:
    """Kestrel invoices Ridgeline's 30,000.00 advance: `copact invoices` lists it (text and
    JSON) before any milestone's, as `invoice show` and the invoices page do."""
    root = str(tmp_path / "ws")
    runner.invoke(app, ["init", root])
    runner.invoke(app, ["deal", "add", DEAL, "-w", root])
    for person in ("hannah", "luis"):
        signed = runner.invoke(app, ["sign", "heat-sensor-housing", "--by", person, "-w", root])
        assert signed.exit_code == 0, signed.output
    issued = runner.invoke(app, ["issue-advance-invoice", "heat-sensor-housing", "-w", root])
    assert issued.exit_code == 0, issued.output
    listed = runner.invoke(app, ["invoices", "heat-sensor-housing", "-f", "json", "-w", root])
    (advance,) = json.loads(listed.output)["invoices"]
    assert (advance["number"], advance["amount"], advance["status"]) == (
        "heat-sensor-housing-001",
        "30000.00",
        "open",
    )
    text = runner.invoke(
        app, ["invoices", "heat-sensor-housing", "-w", root], env={"COLUMNS": "200"}
    )
    row = next(line for line in text.output.splitlines() if "heat-sensor-housing-001" in line)
    assert "30,000.00" in row and "kestrel → ridgeline" in row
