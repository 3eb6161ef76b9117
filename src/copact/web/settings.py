"""The web app's one settings class: everything the server can be told, with safe defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

__all__ = ["WebSettings"]


@dataclass(frozen=True)
class WebSettings:
    """How the web app runs. ``secure_cookies`` None means: Secure and ``__Host-`` exactly
    when the request came over TLS (directly, or from a trusted proxy that says so)."""

    workspace: Path
    secure_cookies: bool | None = None
    session_idle: timedelta = timedelta(minutes=30)
    session_max: timedelta = timedelta(hours=12)
    #: failures per account and address before each next try waits 2^(n − free) seconds
    login_free_failures: int = 3
    login_max_delay: timedelta = timedelta(minutes=15)
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
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)
