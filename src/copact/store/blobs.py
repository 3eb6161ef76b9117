"""The content-addressed evidence store: a file's bytes live at ``evidence/ab/abcdef…`` (its
SHA-256), whatever it was called.

A file streams into a temporary file in the store (never in memory, never at a path derived from
its name), hashed as it goes and cut off at the size limit; it is fsynced, then renamed into
place and the folder fsynced, so a crash leaves either the whole file or nothing under its
hash. Storing the same content twice is a no-op.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

import filetype

from copact.errors import RefusedCommand

__all__ = ["DEFAULT_LIMIT", "BlobStore", "Stored", "sniff"]

DEFAULT_LIMIT = 100 * 1024 * 1024
_CHUNK = 1024 * 1024
_HEAD = 8192


def sniff(head: bytes) -> str:
    """The media type of a file from its first bytes."""
    if head.startswith(b"#!"):
        return "application/x-executable"
    if head.startswith(b"PAR1"):
        return "application/vnd.apache.parquet"
    kind = filetype.guess(head)
    if kind is not None:
        return str(kind.mime)
    if b"\0" not in head:
        try:
            head.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            # a multi-byte character cut by the end of the sample is still text
            if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
                return "text/plain"
    return "application/octet-stream"


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    media_type: str


@dataclass(frozen=True)
class BlobStore:
    root: Path
    limit: int = DEFAULT_LIMIT

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, stream: BinaryIO, *, check: Callable[[str], None] | None = None) -> Stored:
        """Stream ``stream`` into the store; refused (and nothing kept) over the size limit or
        when ``check`` refuses the media type its first bytes show."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > self.limit:
                        raise RefusedCommand(
                            f"the file is larger than the evidence limit of {self.limit:,} bytes"
                        )
                    if len(head) < _HEAD:
                        head += chunk[: _HEAD - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            media_type = sniff(head)
            if check is not None:
                check(media_type)  # before the file takes its place: a refusal leaves nothing
            sha = digest.hexdigest()
            final = self.path(sha)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return Stored(sha, size, media_type)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def check(self, sha256: str) -> Literal["ok", "missing", "altered"]:
        """Re-hash the file stored under ``sha256`` (streamed, never whole in memory): ``ok``
        when its bytes still have that hash, ``missing`` when there is no file, ``altered``
        when it was overwritten."""
        digest = hashlib.sha256()
        try:
            with self.path(sha256).open("rb") as stored:
                while chunk := stored.read(_CHUNK):
                    digest.update(chunk)
        except (FileNotFoundError, IsADirectoryError):
            return "missing"
        return "ok" if digest.hexdigest() == sha256 else "altered"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
