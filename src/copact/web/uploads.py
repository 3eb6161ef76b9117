"""Evidence uploads: the request body streams through a byte counter into a spooled temporary
file, and is cut off at the limit before it is all read; the content is then judged by its
bytes (kind against content, archives refused, an Office document's zip checked entry by entry
in its central directory, never unpacked) before it goes into the evidence store. The file's
name is metadata: it never becomes a path.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from copact.core.evidence import check_evidence
from copact.errors import CopactError, RefusedCommand
from copact.services.evidence_files import sniff
from copact.web.settings import WebSettings

__all__ = ["BadUpload", "TooLarge", "Upload", "UploadRefused", "check_content", "receive_upload"]

_SLACK = 64 * 1024  # the multipart envelope around the file


class TooLarge(CopactError):
    """The upload is larger than the limit (HTTP 413)."""


class UploadRefused(CopactError):
    """The file cannot be evidence of its kind, or is a possible zip bomb (HTTP 422)."""


class BadUpload(CopactError):
    """The request is not a well-formed upload (HTTP 400)."""


@dataclass
class Upload:
    file: BinaryIO
    filename: str
    fields: dict[str, str]


async def _limited(chunks: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit + _SLACK:
            raise TooLarge(f"the file is larger than the evidence limit of {limit:,} bytes")
        yield chunk


async def receive_upload(request: Request, *, limit: int) -> Upload:
    """Parse a multipart body with one file field ``file`` and a few short fields."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + _SLACK:
        raise TooLarge(f"the file is larger than the evidence limit of {limit:,} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadUpload("send the file as multipart/form-data with a field named file")
    parser = MultiPartParser(
        request.headers,
        _limited(request.stream(), limit),
        max_files=1,
        max_fields=8,
        max_part_size=64 * 1024,
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadUpload(f"the upload could not be read: {exc.message}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadUpload("the upload has no file (a field named file)")
    if upload.size is not None and upload.size > limit:
        raise TooLarge(f"the file is larger than the evidence limit of {limit:,} bytes")
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    return Upload(upload.file, upload.filename or "unnamed", fields)


def check_content(file: BinaryIO, *, name: str, kind: str, settings: WebSettings) -> None:
    """Refuse a file that cannot be evidence of ``kind`` (by its bytes), and an Office
    document whose zip would unpack to too many entries or bytes (a zip bomb)."""
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    check_evidence(kind=kind, name=name, media_type=sniff(head))
    if head.startswith(b"PK"):
        _check_zip(file, settings)
        file.seek(0)


def _check_zip(file: BinaryIO, settings: WebSettings) -> None:
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RefusedCommand("the document's zip container is damaged") from None
    if len(entries) > settings.zip_max_entries:
        raise RefusedCommand(
            f"the document holds {len(entries):,} entries; at most "
            f"{settings.zip_max_entries:,} are accepted"
        )
    unpacked = sum(e.file_size for e in entries)
    packed = sum(e.compress_size for e in entries) or 1
    if unpacked > settings.zip_max_uncompressed or unpacked > settings.zip_max_ratio * packed:
        raise RefusedCommand(
            f"the document would unpack to {unpacked:,} bytes from {packed:,}: refused as a "
            "possible zip bomb"
        )
    for e in entries:
        if e.filename.startswith("/") or ".." in e.filename.split("/"):
            raise RefusedCommand(f"the document's zip names an entry outside it: {e.filename!r}")
