"""The exceptions copact raises, one tree.

Mistakes in user input are not exceptions: they are :class:`copact.core.diagnostic.Diagnostic`
values collected and reported together. Exceptions are for refused commands and programmer
errors::

    CopactError
     ├── MoneyError            money misuse: a float, mixed currencies, an unknown currency
     │    └── CurrencyMismatch adding USD to EUR
     ├── CalendarError         an unknown calendar country code
     └── RefusedCommand        a command the state of a deal does not allow
"""

from __future__ import annotations

__all__ = ["CalendarError", "CopactError", "CurrencyMismatch", "MoneyError", "RefusedCommand"]


class CopactError(Exception):
    """Base of every exception copact raises on purpose."""


class MoneyError(CopactError, ValueError):
    """Money was built or combined in a way that would lose or invent value."""


class CurrencyMismatch(MoneyError):
    """Two amounts in different currencies were combined."""


class CalendarError(CopactError, ValueError):
    """A calendar code names no country the holidays package knows."""


class RefusedCommand(CopactError):
    """A command that the deal's state does not allow; the message says why."""
