"""Convertible support on the command line, on the convertible-support starter of `copact new`
(Acme Foods and Volt Works, EUR) with 100,000.00 of support at 1.15 credit per 1.00 paid and
its first window ten days from today (open now: the 30 days up to its date), the second in
half a year. Acme's owner pays the support with `copact pay --for convertible`, Volt Works'
account lead confirms it; the owner asks to convert 60,000.00 at the first window
(`copact request-conversion`) and the account lead approves it (`copact approve-conversion`):
60,000.00 × 1.15 = 69,000.00 credits, 40,000.00 stays support, which `copact state` says in a
line and in its JSON. Asking for more than is left unconverted, at a window that is not the
deal's, or approving as the buyer each exit 1 with one line and record nothing."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import cli_ok, cli_refused, cli_sign

DEAL = "acme-foods-volt-works"


def test_support_is_paid_converted_and_shown_from_the_command_line(tmp_path: Path) -> None:
    today = date.today()  # the CLI records on the real clock
    first, second = today + timedelta(days=10), today + timedelta(days=190)
    ws = str(tmp_path / "ws")
    deal = tmp_path / "deal.yaml"
    cli_ok(
        "new", "--structure", "convertible-support", "--buyer", "Acme Foods",
        "--supplier", "Volt Works", "--currency", "EUR", "--value", "250000",
        "--start", (today - timedelta(days=200)).isoformat(), "-o", str(deal),
    )  # fmt: skip
    text = deal.read_text()
    text = re.sub(r"amount: \d+\n  converts-to", "amount: 100000\n  converts-to", text)
    text = re.sub(r"windows: \[[^]]*\]", f"windows: [{first}, {second}]", text)
    deal.write_text(text)
    cli_ok("check", str(deal))
    cli_ok("init", ws)
    cli_ok("deal", "add", str(deal), "-w", ws)
    cli_sign(ws, DEAL)
    pay = ["pay", DEAL, "--from", "acme-foods", "--to", "volt-works", "--for", "convertible"]
    cli_ok(*pay, "--amount", "100000.00", "--ref", "SUP-1", "--by", "owner", "-w", ws)
    cli_ok("confirm", DEAL, "SUP-1", "--by", "account-lead", "-w", ws)
    more = cli_refused(*pay, "--amount", "0.01", "--ref", "SUP-2", "--by", "owner", "-w", ws)
    assert "100,000.00" in more  # the support is paid in full

    ask = ["request-conversion", DEAL, "--window", first.isoformat(), "-w", ws]
    too_much = cli_refused(*ask, "--conversion", "c-1", "--amount", "100000.01", "--by", "owner")
    assert len(too_much.strip().splitlines()) == 1, too_much
    elsewhere = ["request-conversion", DEAL, "--window", (first + timedelta(days=1)).isoformat()]
    cli_refused(*elsewhere, "--conversion", "c-1", "--amount", "1.00", "--by", "owner", "-w", ws)
    done = cli_ok(*ask, "--conversion", "c-1", "--amount", "60000.00", "--by", "owner")
    assert "conversion c-1 of 60,000.00 at the" in done and "asked for by owner" in done
    approve = ["approve-conversion", DEAL, "c-1", "-w", ws]
    own = cli_refused(*approve, "--by", "owner")
    assert len(own.strip().splitlines()) == 1, own
    wrong = cli_refused(*approve, "--credits", "60000.00", "--by", "account-lead")
    assert "69,000.00" in wrong  # the formula gives 60,000.00 × 1.15
    cli_ok(*approve, "--credits", "69000.00", "--by", "account-lead")

    shown = cli_ok("state", DEAL, "-w", ws)
    line = " ".join(shown.split())
    assert (
        "support 100,000.00 paid of 100,000.00, 60,000.00 converted (1.15 credit per 1.00 paid)"
        ", credits 69,000.00 left of 69,000.00" in line
    ), shown
    doc = json.loads(cli_ok("state", DEAL, "-f", "json", "-w", ws))
    s = doc["support"]
    assert (s["converted"], s["unconverted"], s["credits_left"], s["unused"]) == (
        "60000.00",
        "40000.00",
        "69000.00",
        "100000.00",
    )
    assert [c["status"] for c in s["conversions"]] == ["approved"]
