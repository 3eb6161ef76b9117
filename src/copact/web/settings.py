"""The web app's one settings class: everything the server can be told, with safe defaults.
How accounts behave (sessions, passwords, the sign-in throttle, token lookups) is the
services' :class:`~copact.services.account_settings.AccountSettings`, held here as
``accounts``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from copact.services.account_settings import AccountSettings

__all__ = ["AccountSettings", "WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """How the web app runs. ``secure_cookies`` None means: Secure and ``__Host-`` exactly
    when the request came over TLS (directly, or from a ``trusted_proxies`` one that says so)."""

    workspace: Path
    secure_cookies: bool | None = None
    #: sessions, passwords, the sign-in throttle and API token lookups
    accounts: AccountSettings = field(default_factory=AccountSettings)
    #: largest evidence upload in bytes (None: the workspace's evidence limit)
    upload_limit: int | None = None
    #: largest JSON or form request body in bytes (``copact.web.bodies``; uploads: the above)
    body_limit: int = 1024 * 1024
    #: an Office document (a zip inside) may hold at most this many entries and bytes unpacked
    zip_max_entries: int = 2000
    zip_max_uncompressed: int = 200 * 1024 * 1024
    zip_max_ratio: int = 100
    idempotency_key_max: int = 100
    #: handler threads per process: a handler is mostly Python, so a few threads keep both
    #: the CPU and the database busy, and fewer threads fight over the interpreter lock
    threads: int = 8
    #: the Host names the app answers to (others get 400); empty: any (``copact serve`` on a
    #: loopback address sets the loopback names)
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)
    #: addresses (or networks, ``10.0.0.0/8``) of reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` are believed; empty (the default): nobody's, the peer is the client
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)

    @property
    def login_device_max_age(self) -> timedelta:
        """How long the device cookie of a browser that signed in lives (its own sign-in
        budget, ``accounts.login_device_max_age``)."""
        return self.accounts.login_device_max_age
