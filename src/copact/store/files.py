"""Files the workspace writes beside its database: written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_whole"]


def write_whole(path: Path, text: str) -> None:
    """Write ``path`` as a whole or not at all: a full disk or a crash leaves no half a file
    (the text goes to a temporary file beside it, is synced, then renamed over it)."""
    tmp = path.with_name(f".{path.name}.copact-tmp")
    try:
        with tmp.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
