"""The web app's one settings class: everything the server can be told, with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """How the web app runs. ``secure_cookies`` None means: Secure and ``__Host-`` exactly
    when the request came over TLS (directly, or from a ``trusted_proxies`` one that says so)."""

    workspace: Path
    secure_cookies: bool | None = None
    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    #: sign-in attempts per account and address (and per known browser of the account)
    #: before each next try waits 2^(n − free) seconds; see ``copact.web.throttle``
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
    #: largest evidence upload in bytes (None: the workspace's evidence limit)
    upload_limit: int | None = None
    #: an Office document (a zip inside) may hold at most this many entries and bytes unpacked
    zip_max_entries: int = 2000
    zip_max_uncompressed: int = 200 * 1024 * 1024
    zip_max_ratio: int = 100
    idempotency_key_max: int = 100
    #: handler threads per process: a handler is mostly Python, so a few threads keep both
    #: the CPU and the database busy, and fewer threads fight over the interpreter lock
    threads: int = 8
    #: seconds an API token's lookup is remembered by a server process (revocation delay)
    token_cache: float = 5.0
    #: the Host names the app answers to (others get 400); empty: any (``copact serve`` on a
    #: loopback address sets the loopback names)
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)
    #: addresses (or networks, ``10.0.0.0/8``) of reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed; empty (the default): nobody's, the peer is the client
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)
