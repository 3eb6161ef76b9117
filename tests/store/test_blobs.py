"""The evidence store under crashes, concurrent uploads and a full disk.

An upload streams into ``evidence/.incoming-*`` and is renamed into place once whole. A crash
in the middle leaves that temporary file behind; the next upload removes it. An upload still
running holds a lock on its temporary file, so another upload never removes it.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from copact.store.blobs import BlobStore

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX fork")

FIRST = b"%PDF-1.7\n" + b"a" * (1024 * 1024)  # one chunk of the store's reads
REST = b"b" * 1000


class _Paused:
    """A stream that gives its first chunk, then says so on ``told`` and waits on ``resume``
    before giving the rest: an upload caught in the middle."""

    def __init__(self, told: int, resume: int) -> None:
        self.parts = [FIRST, REST]
        self.told, self.resume = told, resume

    def read(self, _size: int = -1) -> bytes:
        if len(self.parts) == 1:
            os.write(self.told, b"w")  # the first chunk is written to the temporary file
            os.read(self.resume, 1)
        return self.parts.pop(0) if self.parts else b""


def _upload_in_child(store: BlobStore) -> tuple[int, int, int]:
    """Fork a process that uploads a file and pauses after its first chunk. Returns its pid,
    the pipe it reports on and the pipe that lets it go on."""
    told_r, told_w = os.pipe()
    resume_r, resume_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            store.put(_Paused(told_w, resume_r))  # type: ignore[arg-type]
            code = 0
        finally:
            os._exit(code)
    assert os.read(told_r, 1) == b"w"
    return pid, told_r, resume_w


def _incoming(store: BlobStore) -> list[Path]:
    return sorted(store.root.glob(".incoming-*"))


def _put(store: BlobStore, data: bytes) -> str:
    return store.put(io.BytesIO(data)).sha256


def test_a_crashed_upload_is_cleaned_up_by_the_next_one(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "evidence")
    pid, told, _ = _upload_in_child(store)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(told)
    assert len(_incoming(store)) == 1  # what the crash left: part of a file
    sha = _put(store, b"a delivery receipt\n")
    assert _incoming(store) == []
    assert store.has(sha)


def test_an_upload_in_progress_is_never_removed_by_another(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "evidence")
    pid, told, resume = _upload_in_child(store)
    [theirs] = _incoming(store)
    _put(store, b"a delivery receipt\n")
    assert _incoming(store) == [theirs]  # still being written: kept
    os.write(resume, b"g")
    _, status = os.waitpid(pid, 0)
    os.close(told)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert store.has(hashlib.sha256(FIRST + REST).hexdigest())  # it completed whole
    assert _incoming(store) == []


def test_a_full_disk_leaves_no_part_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "evidence")

    def full(_fd: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as refused:
        _put(store, b"a test log\n" * 1000)
    assert refused.value.errno == errno.ENOSPC
    assert [p for p in store.root.rglob("*") if p.is_file()] == []
