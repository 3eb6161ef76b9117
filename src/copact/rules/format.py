"""E001 and E002: the loader's own findings, registered here so `copact rules` explains them."""

from copact.core.diagnostic import Severity
from copact.rules.registry import document

document(
    "E001",
    "invalid-yaml",
    Severity.ERROR,
    "the file is not valid YAML",
    hint="fix the YAML syntax at this place",
    doc="""
    **What it checks.** That the deal file parses as one YAML document of UTF-8 text.

    **Why.** Nothing else can be checked in a file that cannot be read; the finding points at
    the line and column where the parser stopped.

    **Example.**

        milestones:
          - id: design-approval
            payment: [20%

    **Use instead.** Close the bracket (`payment: 20%`), indent with spaces not tabs, and keep
    one document a file.
    """,
)

document(
    "E002",
    "format-mismatch",
    Severity.ERROR,
    "a key or value does not fit format 1",
    hint="see `copact schema` for the shape of format 1",
    doc="""
    **What it checks.** Every key is one format 1 knows, every value has its type: dates
    `YYYY-MM-DD`, percentages `20%`, durations `4h`, money as decimal numbers, ids as lower-case
    slugs, and the listed words where a key takes one of a few values. A key may appear once.

    **Why.** A misspelt key (`reveiw-days`) would otherwise be silently ignored, and the term
    the parties agreed on would not be enforced.

    **Example.**

        acceptance:
          reveiw-days: 10
          credit-cap: 25

    **Use instead.** `review-days: 10` and `credit-cap: 25%`; the finding suggests the closest
    known key.
    """,
)
