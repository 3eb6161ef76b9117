"""The workspace folder: where it is, what its ``copact.toml`` says, and making one.

A workspace is a folder with ``copact.toml`` (the database URL and the evidence size limit),
``evidence/`` (the files, by hash) and ``keys/checkpoint.pem`` (the key that signs
checkpoints)::

    copact-workspace/
      copact.toml          database = "sqlite:///copact.db"   evidence-limit = 104857600
      copact.db            the default database, read from this folder so the folder can move
      evidence/
      keys/checkpoint.pem

Nothing here opens the database: :mod:`copact.services.workspace` does, with what this module
read (so opening stays one place, and the tests that fill the disk patch one name).
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from copact.errors import CopactError
from copact.store.blobs import DEFAULT_LIMIT
from copact.store.checkpoint import SigningKey
from copact.store.engine import is_disk_full, sqlite_file, with_file
from copact.store.files import write_whole

__all__ = [
    "CONFIG",
    "DEFAULT_DATABASE",
    "KEY",
    "DiskFull",
    "WorkspaceError",
    "create",
    "database_url",
    "default_workspace",
    "disk_full",
    "evidence_limit",
    "read_settings",
]

CONFIG = "copact.toml"
KEY = "keys/checkpoint.pem"
DEFAULT_DATABASE = "sqlite:///copact.db"
"""A SQLite path in ``copact.toml`` is read from the workspace folder: copied or moved, the
folder takes its database with it."""

T = TypeVar("T")


class WorkspaceError(CopactError):
    """The workspace is missing, or a deal is not in it."""


class DiskFull(WorkspaceError):
    """A write the disk had no room for; nothing of it was kept."""


def disk_full(what: str) -> DiskFull:
    return DiskFull(f"disk full: {what}; nothing of it was kept. Free some space and retry")


def default_workspace() -> Path:
    return Path(os.environ.get("COPACT_WORKSPACE") or "copact-workspace")


def read_settings(root: Path) -> dict[str, Any]:
    """What ``copact.toml`` of ``root`` says; a folder without one is not a workspace."""
    config = root / CONFIG
    if not config.is_file():
        raise WorkspaceError(f"{root} is not a workspace; create one with `copact init {root}`")
    try:
        return tomllib.loads(config.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"{config}: {exc}") from None


def database_url(root: Path, settings: dict[str, Any]) -> str:
    """The database URL of ``copact.toml``, its SQLite file made absolute from the folder.

    Workspaces made before the path was relative hold the absolute path of the folder they
    were made in. Moved or copied with a folder of the same name, the folder's own file is
    meant; under another name, which file is meant cannot be told, and the user is told how
    to say it."""
    config = root / CONFIG
    url = settings.get("database")
    fix = f'write `database = "{DEFAULT_DATABASE}"` in {config}'
    if not isinstance(url, str) or not url:
        raise WorkspaceError(f"{config}: `database` must be a database URL; {fix}")
    try:
        path = sqlite_file(url)
    except ValueError as exc:
        raise WorkspaceError(f"{config}: `database`: {exc}") from None
    if path is None:
        return url
    folder = root.resolve()
    if not path.is_absolute():
        return with_file(url, folder / path)
    if path.resolve().is_relative_to(folder):
        return url
    own = folder / path.name
    if own.is_file():
        if path.parent.name == folder.name:
            return with_file(url, own)
        raise WorkspaceError(
            f"{config}: the database is {path}, outside this workspace, yet the folder holds "
            f"its own {path.name}: was the workspace copied or moved under another name? To "
            f"use the folder's own file, {fix}; to keep using {path}, remove {own}"
        )
    return url


def evidence_limit(root: Path, settings: dict[str, Any]) -> int:
    """The largest evidence file accepted, in bytes."""
    limit = settings.get("evidence-limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise WorkspaceError(f"{root / CONFIG}: `evidence-limit` must be a number of bytes")
    return limit


def _stored_url(root: Path, database: str | None) -> str:
    """What ``copact init`` writes in ``copact.toml``: a SQLite file given relative to the
    current folder becomes relative to the workspace when it lies inside it."""
    if database is None:
        return DEFAULT_DATABASE
    try:
        path = sqlite_file(database)
    except ValueError as exc:
        raise WorkspaceError(f"--database: {exc}") from None
    if path is None:
        return database
    path = path.resolve()
    folder = root.resolve()
    if path.is_relative_to(folder):
        return with_file(database, path.relative_to(folder))
    return with_file(database, path)


def _config_text(url: str) -> str:
    return (
        "# the database; a SQLite file is read from this folder, so the workspace can move\n"
        f"database = {json.dumps(url)}\n"
        "# the largest evidence file accepted, in bytes\n"
        f"evidence-limit = {DEFAULT_LIMIT}\n"
    )


def create(root: Path, database: str | None, connect: Callable[[dict[str, Any]], T]) -> T:
    """Make the workspace folder in ``root`` (or finish one an interrupted ``init`` left),
    ``connect`` to its database with its settings (creating the SQLite file), and write
    ``copact.toml`` last and whole. An existing workspace keeps its config untouched. When
    anything fails, what this call made is removed: a full disk leaves no workspace."""
    made = [p for p in (root, root / "evidence") if not p.exists()]
    key = root / KEY
    settings = None if not (root / CONFIG).is_file() else read_settings(root)
    if settings is None:
        settings = {"database": _stored_url(root, database), "evidence-limit": DEFAULT_LIMIT}
    db = sqlite_file(database_url(root, settings))
    fresh = [p for p in (key, db) if p is not None and not p.exists()]
    try:
        for folder in made:
            folder.mkdir(parents=True)
        if not key.is_file():
            SigningKey.load_or_create(key)
        connected = connect(settings)
        if not (root / CONFIG).is_file():
            write_whole(root / CONFIG, _config_text(settings["database"]))
    except BaseException as exc:
        for path in fresh:
            for side in ("", "-wal", "-shm", "-journal"):
                path.with_name(path.name + side).unlink(missing_ok=True)
        if made:
            shutil.rmtree(made[0], ignore_errors=True)
        if is_disk_full(exc):
            raise disk_full(f"the workspace could not be created in {root}") from None
        raise
    return connected
