"""Benchmark: `copact check` over 1,000 deal files against plain ruamel.yaml parsing of the same
files, measured in the same run.

The goal (issue 2) is that loading into the typed model plus every rule adds at most 50% on top
of parsing. Both sides read the files from disk; the parser on both sides is ruamel.yaml's.

    .venv/bin/python bench/check.py [--files 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

from copact.dealfile.nodes import parse_yaml
from copact.rules.catalogue import all_rules
from copact.services.lint import lint_paths

ROOT = Path(__file__).resolve().parent.parent


def make_corpus(folder: Path, count: int) -> list[Path]:
    """``count`` deal files: the reference examples with their ids and amounts varied."""
    sources = sorted((ROOT / "examples").glob("*.yaml"))
    texts = [p.read_text() for p in sources]
    paths = []
    for i in range(count):
        text = texts[i % len(texts)]
        text = text.replace("\nid: ", f"\nid: v{i}-", 1)
        path = folder / f"deal-{i:04d}.yaml"
        path.write_text(text)
        paths.append(path)
    return paths


def plain_parse(paths: list[Path]) -> None:
    yaml = YAML(typ="safe")
    for path in paths:
        yaml.load(path.read_text())


def copact_parse(paths: list[Path]) -> None:
    for path in paths:
        parse_yaml(path.read_text())


def copact_check(paths: list[Path]) -> None:
    report = lint_paths(paths)
    assert len(report.files) == len(paths)


def timed(fn: Callable[[list[Path]], None], paths: list[Path], repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(paths)
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "check.json")
    args = parser.parse_args()
    all_rules()  # import the catalogue outside the timed region
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_corpus(Path(tmp), args.files)
        timed(copact_check, paths[:20], 1)  # warm caches (holidays, zoneinfo, pydantic)
        base = timed(plain_parse, paths, args.repeat)
        parse = timed(copact_parse, paths, args.repeat)
        ours = timed(copact_check, paths, args.repeat)
    b, p, o = statistics.median(base), statistics.median(parse), statistics.median(ours)
    result = {
        "files": args.files,
        "repeat": args.repeat,
        "ruamel_parse_s": round(b, 3),
        "copact_parse_s": round(p, 3),
        "copact_check_s": round(o, 3),
        "files_per_s": round(args.files / o, 1),
        "overhead": round(o / b - 1, 3),
        "overhead_vs_own_parse": round(o / p - 1, 3),
        "goal_overhead": 0.5,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.files} deal files, median of {args.repeat} runs")
    print(f"  plain ruamel.yaml parse : {b:7.3f} s")
    print(f"  copact's own parse      : {p:7.3f} s  (ruamel compose, keeping every key's place)")
    print(f"  copact check            : {o:7.3f} s  ({result['files_per_s']} files/s)")
    print(f"  check vs plain parse    : {result['overhead']:+.0%}  (goal: at most +50%)")
    print(f"  model + rules on top of copact's own parse: {result['overhead_vs_own_parse']:+.0%}")


if __name__ == "__main__":
    main()
