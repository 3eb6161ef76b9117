"""Hostile deal files: deep nesting and alias bombs are E001 findings at their place, not a crash.

Each command runs in a child process, so that a crash (the C parser overflowing its stack on deep
nesting) or a runaway expansion fails one test instead of taking pytest down with it. The
timeout only stops a runaway child; nothing here measures how fast anything is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from copact.dealfile.loader import load_text
from copact.dealfile.nodes import MAX_ALIASES, MAX_DEPTH, MAX_EXPANDED

_CHECK = "import sys; from copact.cli.app import main; sys.argv[0] = 'copact'; main()"


def check_json(path: Path) -> tuple[int, dict[str, object], str]:
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(done.stdout) if done.returncode in (0, 1) else {}
    return done.returncode, report, done.stderr


def only_finding(report: dict[str, object]) -> dict[str, object]:
    (file,) = report["files"]  # type: ignore[misc]
    (finding,) = file["findings"]
    return finding  # type: ignore[no-any-return]


def test_a_deal_file_nested_30000_deep_is_an_e001_at_the_bracket_past_the_limit(
    tmp_path: Path,
) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("copact: 1\nid: deep\nnotes: " + "[" * 30_000 + "]" * 30_000 + "\n")
    code, report, stderr = check_json(deep)
    assert code == 1, stderr
    finding = only_finding(report)
    assert finding["code"] == "E001"
    assert "nest" in str(finding["message"])
    # the top-level mapping is depth 1, so the bracket that opens depth MAX_DEPTH + 1 is the
    # MAX_DEPTH-th one on line 3, after "notes: "
    assert (finding["line"], finding["column"]) == (3, len("notes: ") + MAX_DEPTH)


def billion_laughs(levels: int = 12, width: int = 9) -> str:
    """A few kilobytes that expand to width**levels strings (9**12 is 282 billion)."""
    lines = ["copact: 1", "lol0: &lol0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_alias_bomb_is_an_e001_at_the_alias_that_passes_the_limit(
    tmp_path: Path,
) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    assert bomb.stat().st_size < 8_000
    code, report, stderr = check_json(bomb)
    assert code == 1, stderr
    finding = only_finding(report)
    assert finding["code"] == "E001"
    assert "expand" in str(finding["message"])
    line, column = first_alias_past_the_limit()
    assert (finding["line"], finding["column"]) == (line, column)


def first_alias_past_the_limit(levels: int = 12, width: int = 9) -> tuple[int, int]:
    """Where ``billion_laughs`` passes MAX_EXPANDED values, counting by hand: every key, scalar
    and collection is one value, and an alias is worth every value of what it names."""
    total = 2  # copact: 1
    size = 0
    for level in range(levels):
        total += 2  # the key lolN and its list
        prefix = f"lol{level}: &lol{level} ["
        for item in range(width):
            total += 1 if level == 0 else size
            if level > 0 and total > MAX_EXPANDED:
                return level + 2, len(prefix) + 1 + item * len(f"*lol{level - 1}, ")
        size = 1 + width * (1 if level == 0 else size)
    raise AssertionError("the bomb stays under the limit")


def test_too_many_aliases_are_an_e001_at_the_first_one_past_the_limit() -> None:
    aliases = ", ".join(["*one"] * (MAX_ALIASES + 5))
    text = f"copact: 1\nid: many\nbase: &one x\nnotes: [{aliases}]\n"
    (finding,) = load_text(text, "many.yaml").diagnostics
    assert finding.code == "E001"
    assert "aliases" in finding.message
    assert finding.line == 4
    assert finding.column == len("notes: [") + 1 + len("*one, ") * MAX_ALIASES


def test_nesting_up_to_the_limit_is_still_an_ordinary_deal_file() -> None:
    # depth 1 is the top mapping, so MAX_DEPTH - 1 brackets reach the limit exactly
    text = "copact: 1\nnotes: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    codes = {d.code for d in load_text(text, "ok.yaml").diagnostics}
    assert "E001" not in codes


def test_aliases_that_stay_small_are_still_allowed() -> None:
    text = "copact: 1\nid: ok\nbase: &b {a: 1}\nnotes: [*b, *b, *b]\n"
    codes = {d.code for d in load_text(text, "ok.yaml").diagnostics}
    assert "E001" not in codes
    assert MAX_EXPANDED >= 10_000
