"""The web app's names for the people who sign in: the use cases themselves (users, passwords,
sessions, API tokens, the sign-in throttle) are ``copact.services.accounts``; the web app holds
one :class:`Accounts` in its context (``ctx.accounts``) and reads who is asking as a
:class:`Principal`."""

from __future__ import annotations

from copact.services.accounts import (
    MIN_PASSWORD,
    ROLES,
    AccountError,
    Accounts,
    Principal,
    SignIn,
    Throttled,
)

__all__ = [
    "MIN_PASSWORD",
    "ROLES",
    "AccountError",
    "Accounts",
    "Principal",
    "SignIn",
    "Throttled",
]
