"""The exceptions copact raises, one tree.

Mistakes in user input are not exceptions: they are :class:`copact.core.diagnostic.Diagnostic`
values collected and reported together. Exceptions are for refused commands and programmer
errors::

    CopactError
     ├── MoneyError            money misuse: a float, mixed currencies, an unknown currency
     │    └── CurrencyMismatch adding USD to EUR
     ├── CalendarError         an unknown calendar country code
     └── RefusedCommand        a command the state of a deal does not allow
          ├── InvalidCommand   a value of the command is wrong whatever the state
          ├── UnknownName      it names a milestone, person, file… the deal does not have
          └── NothingToDo      there is nothing for it to do (every milestone invoiced)

A caller tells refusals apart by their class, never by their message.
"""

from __future__ import annotations

__all__ = [
    "CalendarError",
    "CopactError",
    "CurrencyMismatch",
    "InvalidCommand",
    "MoneyError",
    "NothingToDo",
    "RefusedCommand",
    "UnknownName",
]


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


class InvalidCommand(RefusedCommand):
    """A value of the command is wrong whatever the deal's state (a malformed amount or date)."""


class UnknownName(RefusedCommand):
    """The command names something the deal or workspace does not have."""


class NothingToDo(RefusedCommand):
    """The command would cause no event: what it asks for is already done."""
