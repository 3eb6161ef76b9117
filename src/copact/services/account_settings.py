"""How the accounts of a workspace behave: session lifetimes, the password policy, the
sign-in throttle's budgets and how long an API token's lookup is remembered. One frozen value,
with safe defaults; the web app holds one in its settings (``WebSettings.accounts``), the
command line uses the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = ["MIN_PASSWORD", "AccountSettings"]

#: the fewest characters a password may have
MIN_PASSWORD = 12


@dataclass(frozen=True)
class AccountSettings:
    """The account rules the services apply (``copact.services.accounts`` and ``.throttle``)."""

    #: a session unused this long is over …
    session_idle: timedelta = timedelta(minutes=30)
    #: … and so is one this old, used or not
    session_max: timedelta = timedelta(hours=12)
    #: the fewest characters a password may have
    min_password: int = MIN_PASSWORD
    #: sign-in attempts per account and address (and per known browser of the account)
    #: before each next try waits 2^(n − free) seconds; see ``copact.services.throttle``
    login_free_failures: int = 3
    #: … per account from every address (what stops guessing from many addresses)
    login_account_free_failures: int = 10
    #: … per address for every account (what stops one address trying many accounts)
    login_address_free_failures: int = 30
    login_max_delay: timedelta = timedelta(minutes=15)
    #: a counter left alone this long starts over
    login_forget: timedelta = timedelta(hours=24)
    #: how long a browser that signed in keeps its own budget (its device cookie)
    login_device_max_age: timedelta = timedelta(days=180)
    #: seconds an API token's lookup is remembered by a server process (revocation delay)
    token_cache: float = 5.0
