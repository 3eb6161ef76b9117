"""The conversion ratio of a convertible support package's ``formula`` (DESIGN §3.2).

A formula reads ``<credit> credit per <paid> paid``: what each unit of support paid converts
into at a window. The ratio is credit ÷ paid, exact::

    >>> conversion_ratio("1.15 credit per 1.00 paid")
    Decimal('1.15')
    >>> conversion_ratio("23000 credits per 20000 paid")
    Decimal('1.15')

"paid" may be left out (``1.15 credit per 1.00``), ``credits`` may be plural, and a comma may
group thousands. Anything else raises ``ValueError`` with the formula and how to write one.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = ["conversion_ratio"]

# ASCII digits: ``\d`` would match any script's, and Decimal reads "١" as 1
_NUMBER = r"([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
_FORMULA = re.compile(rf"^\s*{_NUMBER}\s+credits?\s+per\s+{_NUMBER}(?:\s+paid)?\s*$", re.IGNORECASE)


def conversion_ratio(formula: str) -> Decimal:
    """Credit per unit paid of ``formula`` ("1.15 credit per 1.00 paid" → 1.15)."""
    match = _FORMULA.match(formula)
    if match is None:
        raise ValueError(
            f"cannot read the conversion formula {formula!r}: write it as "
            "'1.15 credit per 1.00 paid'"
        )
    credit, paid = (Decimal(g.replace(",", "")) for g in match.groups())
    if paid == 0:
        raise ValueError(f"the conversion formula {formula!r} converts per 0 paid")
    return credit / paid
