"""`copact state` and `copact exit` on the custom-component journal in examples/journals/."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES

runner = CliRunner()
DEAL = str(EXAMPLES / "heat-sensor-housing.yaml")
JOURNAL = str(EXAMPLES / "journals" / "heat-sensor-housing.jsonl")


def test_state_json_shows_the_missed_milestone_and_balances() -> None:
    result = runner.invoke(app, ["state", DEAL, "-e", JOURNAL, "--on", "2026-12-28", "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    states = {m["id"]: m for m in doc["milestones"]}
    assert states["design-freeze"]["state"] == "accepted"
    assert states["prototype-samples"]["state"] == "missed"
    assert states["prototype-samples"]["cure_until"] == "2026-12-24"
    assert doc["balances"]["kestrel"]["received"] == "30000.00"


def test_exit_json_settles_the_refund() -> None:
    result = runner.invoke(
        app,
        [
            "exit",
            DEAL,
            "-e",
            JOURNAL,
            "--trigger",
            "missed-milestone",
            "--on",
            "2026-12-28",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["owed"] == {"from": "kestrel", "to": "ridgeline", "amount": "12920.00"}
    assert set(doc) >= {
        "deal",
        "trigger",
        "on",
        "effective",
        "paid",
        "earned",
        "unused",
        "claimed",
        "deduction",
        "refund",
        "owed",
        "on_exit",
    }


def test_a_refused_trigger_exits_1_with_the_reason() -> None:
    result = runner.invoke(
        app, ["exit", DEAL, "-e", JOURNAL, "--trigger", "missed-milestone", "--on", "2026-12-20"]
    )
    assert result.exit_code == 1
    assert "no milestone is missed on 2026-12-20" in result.output


def test_a_bad_journal_line_is_named_and_nothing_is_computed(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    lines = Path(JOURNAL).read_text().splitlines()
    lines[4] = lines[4].replace('"accepted"', '"acepted"')  # after the two signatures
    journal.write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["state", DEAL, "-e", str(journal), "--on", "2026-12-28"])
    assert result.exit_code == 1
    assert f"{journal}:5:1: J002 unknown event type 'acepted'" in result.output
    assert "Traceback" not in result.output


def test_a_bad_date_exits_2() -> None:
    result = runner.invoke(app, ["state", DEAL, "-e", JOURNAL, "--on", "28/12/2026"])
    assert result.exit_code == 2


# --- journal lines that would crash a reader --------------------------------------------------


def deep_change(levels: int) -> str:
    """A change-proposed event whose patch nests ``levels`` lists deep, as one JSON line."""
    nest = "[" * levels + "]" * levels
    return (
        '{"amount":"100","at":"2026-08-01","by":"marcus","change":"c1",'
        f'"deal":"heat-sensor-housing","patch":{{"notes":{nest}}},"type":"change-proposed"}}'
    )


def test_a_deeply_nested_journal_line_is_a_problem_at_its_line_not_a_crash(
    tmp_path: Path,
) -> None:
    from copact.core.events import MAX_DEPTH, canonical_json, parse_events

    lines = Path(JOURNAL).read_text().splitlines()
    for levels in (250, 100_000):  # 250 parses but cannot be hashed; 100,000 overflows json
        journal = tmp_path / f"deep-{levels}.jsonl"
        journal.write_text("\n".join([lines[0], deep_change(levels), *lines[1:]]) + "\n")
        result = runner.invoke(app, ["state", DEAL, "-e", str(journal), "--on", "2026-12-28"])
        assert result.exit_code == 1, result.output
        # the bracket opening level MAX_DEPTH + 1: the event is 1, the patch 2, notes' lists 3…
        column = deep_change(levels).index("[") + MAX_DEPTH - 1
        assert f"{journal}:2:{column}: J001 the line nests deeper than" in result.output
        assert "Traceback" not in result.output
    # what the parser does accept, the journal can hash
    events, problems = parse_events(deep_change(MAX_DEPTH - 2))
    assert problems == [] and canonical_json(events[0])


# --- events the guards would refuse -----------------------------------------------------------


def refusable_journal(tmp_path: Path) -> Path:
    """The example journal (its two signatures first) with a blank line, a photo missing from
    the second submission (line 7) and its rejection sent on 18 December, after the review
    period ran out on the 14th."""
    rows = [json.loads(line) for line in Path(JOURNAL).read_text().splitlines()][:7]
    rows[5]["evidence"] = [e for e in rows[5]["evidence"] if e["kind"] != "photo"]
    rows[6]["at"] = "2026-12-18"
    lines = [json.dumps(r) for r in rows]
    journal = tmp_path / "refusable.jsonl"
    journal.write_text("\n".join([*lines[:4], "", *lines[4:]]) + "\n")
    return journal


def test_state_names_each_event_journal_import_would_refuse(tmp_path: Path) -> None:
    journal = refusable_journal(tmp_path)
    result = runner.invoke(app, ["state", DEAL, "-e", str(journal), "--on", "2026-12-28"])
    assert result.exit_code == 0, result.output
    assert f"{journal}:7: warning: submitted event refused by the guards: " in result.stderr
    assert "prototype-samples needs evidence of kind photo" in result.stderr
    assert f"{journal}:8: warning: rejected event refused by the guards: " in result.stderr
    assert "already accepted on 2026-12-14 (deemed)" in result.stderr
    assert "2 events" in result.stderr and "journal import" in result.stderr
    assert "warning" not in result.stdout


def test_state_json_lists_the_refused_events_with_line_type_and_reason(tmp_path: Path) -> None:
    journal = refusable_journal(tmp_path)
    result = runner.invoke(
        app, ["state", DEAL, "-e", str(journal), "--on", "2026-12-28", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [(r["line"], r["type"]) for r in doc["refused"]] == [(7, "submitted"), (8, "rejected")]
    assert "needs evidence of kind photo" in doc["refused"][0]["reason"]


def test_state_of_a_clean_journal_refuses_nothing() -> None:
    result = runner.invoke(app, ["state", DEAL, "-e", JOURNAL, "--on", "2026-12-28", "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] == []
    assert result.stderr == ""


def test_state_names_an_event_written_out_of_date_order(tmp_path: Path) -> None:
    lines = Path(JOURNAL).read_text().splitlines()
    journal = tmp_path / "unordered.jsonl"
    # the July payment (after the two signatures) goes last
    journal.write_text("\n".join([*lines[:2], *lines[3:], lines[2]]) + "\n")
    result = runner.invoke(
        app, ["state", DEAL, "-e", str(journal), "--on", "2026-12-28", "-f", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["refused"] == [
        {"line": len(lines), "type": "payment", "reason": "events must come in date order"}
    ]


def test_state_json_carries_the_recorded_exit_and_its_settlement(tmp_path: Path) -> None:
    """The example journal with ridgeline's missed-milestone exit on 2026-12-28: `state`
    shows it from that day, with the settlement `copact exit` gives (kestrel owes 12,920.00),
    and ``null`` before."""
    journal = tmp_path / "ended.jsonl"
    exit_line = {
        "at": "2026-12-28",
        "by": "hannah",
        "deal": "heat-sensor-housing",
        "trigger": "missed-milestone",
        "type": "exit",
    }
    journal.write_text(Path(JOURNAL).read_text() + json.dumps(exit_line) + "\n")

    def state_on(day: str) -> dict[str, object]:
        result = runner.invoke(app, ["state", DEAL, "-e", str(journal), "--on", day, "-f", "json"])
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.output))

    assert state_on("2026-12-20")["exit"] is None
    ended = state_on("2026-12-28")["exit"]
    assert isinstance(ended, dict)
    assert (ended["trigger"], ended["by"], ended["on"], ended["effective"], ended["ended"]) == (
        "missed-milestone",
        "hannah",
        "2026-12-28",
        "2026-12-28",
        True,
    )
    assert ended["settlement"]["owed"] == {
        "from": "kestrel",
        "to": "ridgeline",
        "amount": "12920.00",
    }
