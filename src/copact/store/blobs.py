"""The content-addressed evidence store: a file's bytes live at ``evidence/ab/abcdef…`` (its
SHA-256), whatever it was called.

A file streams into a temporary file in the store (never in memory, never at a path derived from
its name), hashed as it goes and cut off at the size limit; it is fsynced, then renamed into
place and the folder fsynced, so a crash leaves either the whole file or nothing under its
hash. Storing the same content twice is a no-op.

A crash in the middle of an upload leaves its temporary file (``evidence/.incoming-*``). Each
upload holds an exclusive ``flock`` on its own temporary file until the file is renamed into
place or removed, and before it starts it removes every temporary file that nobody holds
locked: what crashed uploads left, never the file of an upload still running (the lock dies
with its process, so a killed upload's file is free to take).
"""

from __future__ import annotations

import contextlib
import fcntl
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
INCOMING = ".incoming-"  # the prefix of an upload's temporary file in the store
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
        when ``check`` refuses the media type its first bytes show. What uploads that died
        left behind is removed first (:meth:`sweep`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp = self._incoming()
        try:
            with open(fd, "wb", closefd=False) as out:
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
                os.fsync(fd)
            media_type = sniff(head)
            if check is not None:
                check(media_type)  # before the file takes its place: a refusal leaves nothing
            sha = digest.hexdigest()
            final = self.path(sha)
            final.parent.mkdir(exist_ok=True)
            os.replace(tmp, final)  # still locked: a sweep cannot take it for abandoned
            _fsync_dir(final.parent)
            return Stored(sha, size, media_type)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.close(fd)  # releases the lock, once the name is gone

    def _incoming(self) -> tuple[int, Path]:
        """A new temporary file, locked for as long as the upload runs. A sweep that got in
        between its creation and the lock took it for abandoned and removed it; then the
        descriptor no longer names the file at that path and another one is made."""
        while True:
            fd, name = tempfile.mkstemp(dir=self.root, prefix=INCOMING)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, Path(name)):
                return fd, Path(name)
            os.close(fd)

    def sweep(self) -> int:
        """Remove the temporary files of uploads that died (a crash, a kill, a lost power):
        those no running upload holds locked. Returns how many were removed."""
        removed = 0
        for path in self.root.glob(f"{INCOMING}*"):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
            except OSError:
                continue  # gone already (renamed into place), or not ours to touch
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # an upload is writing it
                if _same_file(fd, path):  # not renamed into place since it was listed
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        return removed

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


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
