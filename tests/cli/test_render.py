"""`copact render`: Markdown to stdout, .md/.html/.pdf by the suffix of -o, and the errors a
user sees in one line (an unknown suffix, a missing file, a deal file that does not load)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from copact.cli.app import app
from tests.conftest import EXAMPLES

HYBRID = EXAMPLES / "hybrid-dc1.yaml"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["render", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["term-sheet", "scope-memo", "matrix"])
def test_markdown_goes_to_stdout_with_the_deal_version(kind: str) -> None:
    code, output = _run(str(HYBRID), "--as", kind)
    assert code == 0
    assert output.startswith("# ") and ": Hybrid backup power for DC1" in output.splitlines()[0]
    assert f"version sha256:{hashlib.sha256(HYBRID.read_bytes()).hexdigest()}" in output


@pytest.mark.parametrize("suffix", [".md", ".html"])
def test_the_suffix_of_the_output_picks_the_format(suffix: str, tmp_path: Path) -> None:
    target = tmp_path / f"term-sheet{suffix}"
    code, output = _run(str(HYBRID), "--as", "term-sheet", "-o", str(target))
    assert code == 0 and f"Wrote {target}" in output
    text = target.read_text(encoding="utf-8")
    assert "hardware-delivery" in text and "USD 126,000.00" in text
    assert text.startswith("<!doctype html>" if suffix == ".html" else "# Term sheet:")


def test_a_pdf_says_how_many_pages_it_has(tmp_path: Path) -> None:
    target = tmp_path / "memo.pdf"
    code, output = _run(str(HYBRID), "--as", "scope-memo", "-o", str(target))
    assert code == 0
    assert f"Wrote {target} (scope memo, PDF, 1 page)." in output
    assert target.read_bytes().startswith(b"%PDF-")


def test_an_unknown_suffix_is_refused_in_one_line(tmp_path: Path) -> None:
    code, output = _run(str(HYBRID), "--as", "matrix", "-o", str(tmp_path / "matrix.docx"))
    assert code == 2
    assert "write a .md, .html or .pdf file" in output
    assert not (tmp_path / "matrix.docx").exists()


def test_a_missing_deal_file_cannot_run(tmp_path: Path) -> None:
    code, output = _run(str(tmp_path / "nope.yaml"), "--as", "matrix")
    assert code == 2 and "nope.yaml" in output and "Traceback" not in output


def test_a_deal_file_that_does_not_load_names_its_line_and_column() -> None:
    broken = EXAMPLES / "flawed" / "broken-yaml.yaml"
    code, output = _run(str(broken), "--as", "term-sheet")
    assert code == 1
    assert f"{broken}:44:7: E001 not valid YAML" in output


def test_help_gives_an_example() -> None:
    code, output = _run("--help")
    assert code == 0
    assert "copact render examples/hybrid-dc1.yaml --as term-sheet" in output
