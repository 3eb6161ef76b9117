"""M202 catches subjective acceptance language in its variants, and leaves objective criteria be."""

from __future__ import annotations

import pytest

from copact.rules.milestones import subjective_phrase

SUBJECTIVE = [
    (
        "Prototype delivered to the reasonable satisfaction of the buyer",
        "to the reasonable satisfaction of",
    ),
    ("Satisfactory progress on the design", "Satisfactory"),
    ("The buyer is satisfied with the prototype", "satisfied"),
    ("Progress made on tooling", "Progress made"),
    ("Supplier has shown good progress", "shown good progress"),
    ("Ongoing collaboration with the buyer's team", "Ongoing collaboration"),
    ("Supplier uses best efforts to ship", "best efforts"),
    ("Commercially reasonable efforts to certify", "Commercially reasonable efforts"),
    ("All reasonable endeavours to deliver", "All reasonable endeavours"),
    ("Build substantially complete", "substantially complete"),
    ("Installation substantially-completed", "substantially-completed"),
    ("Support provided as needed", "as needed"),
    ("Documentation updated as required", "as required"),
    ("Delivered in a timely manner", "in a timely manner"),
    ("High-quality moulds", "High-quality"),
    ("System working well for a month", "working well"),
    ("Meets expectations of the steering group", "Meets expectations"),
    ("Sufficient test coverage", "Sufficient"),
    ("Adequate documentation", "Adequate"),
    ("Software is user-friendly", "user-friendly"),
    ("Acceptable to the buyer", "Acceptable to"),
    ("Price to be agreed", "to be agreed"),
    ("Design approved at the buyer's discretion", "discretion"),
    ("Significant progress on firmware", "Significant progress"),
    ("Good faith effort to integrate", "Good faith effort"),
    ("Controller fit for purpose", "fit for purpose"),
]

OBJECTIVE = [
    "Single-line diagram signed by a licensed electrical engineer",
    "Load study covers at least 90 days of 1-minute data",
    "Availability of at least 99.95% over 90 consecutive days from telemetry",
    "Housings survive 1,000 cycles from -20 °C to 180 °C with no crack",
    "Pull-the-plug test carries the full critical load for 30 minutes",
    "Security review report with zero open high-severity findings",
    "First-article inspection report signed by both quality leads",
    "API sandbox passes the 142 contract tests",
    "Delivered 40,000 boxes by 2026-10-15 per delivery receipts",
    "Electrical inspection certificate issued by the authority having jurisdiction",
    "Controller sheds non-critical load within 2 seconds of a utility failure",
]


@pytest.mark.parametrize(("criterion", "phrase"), SUBJECTIVE)
def test_subjective_variants_are_caught_and_quoted(criterion: str, phrase: str) -> None:
    assert subjective_phrase(criterion) == phrase


@pytest.mark.parametrize("criterion", OBJECTIVE)
def test_objective_criteria_pass(criterion: str) -> None:
    assert subjective_phrase(criterion) is None
