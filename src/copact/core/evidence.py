"""Which files may stand as evidence of which kind, judged by their content, not their name.

The store sniffs a file's media type from its first bytes; :func:`check_evidence` then refuses
what cannot be evidence (programs, archives whose contents nobody reviewed), a name whose
extension lies about the content (``report.pdf`` that is a PNG), and a kind the content cannot
be (a ``photo`` that is a spreadsheet). Kinds the table does not know accept any document, image
or data file.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from copact.errors import RefusedCommand

__all__ = ["ACCEPTS", "check_evidence", "family"]

_DOCUMENT = ("application/pdf", "image/", "text/plain", "application/vnd.", "application/msword")
_DATA = ("text/", "application/json", "application/vnd.apache.parquet", "application/vnd.")
_IMAGE = ("image/",)

#: kind → media type prefixes it accepts
ACCEPTS: dict[str, tuple[str, ...]] = {
    "photo": _IMAGE,
    "drawing": ("application/pdf", "image/", "text/plain", "application/dxf"),
    "signed-acceptance": ("application/pdf", "image/"),
    "certificate": ("application/pdf", "image/"),
    "delivery-receipt": ("application/pdf", "image/"),
    "receipts": ("application/pdf", "image/"),
    "test-report": _DOCUMENT,
    "inspection-report": _DOCUMENT,
    "test-log": _DATA,
    "telemetry-export": _DATA,
    "load-study": (*_DATA, "application/pdf"),
}

_REFUSED = {
    "application/x-executable": "a program",
    "application/x-msdownload": "a program",
    "application/x-mach-binary": "a program",
    "application/wasm": "a program",
    "application/x-shockwave-flash": "a program",
    "application/x-google-chrome-extension": "a program",
    "application/zip": "an archive",
    "application/x-tar": "an archive",
    "application/gzip": "an archive",
    "application/x-bzip2": "an archive",
    "application/x-xz": "an archive",
    "application/x-7z-compressed": "an archive",
    "application/x-rar-compressed": "an archive",
    "application/zstd": "an archive",
    "application/x-lz4": "an archive",
    "application/x-compress": "an archive",
    "application/vnd.ms-cab-compressed": "an archive",
    "application/x-deb": "an archive",
    "application/x-rpm": "an archive",
    "application/x-unix-archive": "an archive",
    "application/octet-stream": "a file of unknown type",
}

#: file extension → the media type family its content must have
_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".csv": "text/",
    ".txt": "text/",
    ".json": "text/",
    ".log": "text/",
    ".md": "text/",
    ".dxf": "text/",
    ".parquet": "application/vnd.apache.parquet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml",
}


def family(media_type: str) -> str:
    """A reader's word for a media type: 'a PDF', 'a PNG image', 'text'."""
    if media_type == "application/pdf":
        return "a PDF"
    if media_type.startswith("image/"):
        return f"a {media_type.removeprefix('image/').upper()} image"
    if media_type.startswith("text/"):
        return "text"
    return _REFUSED.get(media_type, media_type)


def check_evidence(*, kind: str, name: str, media_type: str) -> None:
    """Refuse (with the reason) a file whose content cannot be evidence of ``kind``."""
    if media_type in _REFUSED:
        raise RefusedCommand(
            f"{name} is {_REFUSED[media_type]} ({media_type}); evidence is a document, an "
            "image or a data file, added one file at a time"
        )
    expected = _EXTENSIONS.get(PurePosixPath(name).suffix.lower())
    if expected is not None and not media_type.startswith(expected):
        raise RefusedCommand(
            f"{name} says it is {PurePosixPath(name).suffix} but its content is "
            f"{family(media_type)} ({media_type})"
        )
    accepts = ACCEPTS.get(kind)
    if accepts is not None and not media_type.startswith(accepts):
        raise RefusedCommand(
            f"{name} is {family(media_type)}; evidence of kind {kind} must be one of: "
            + ", ".join(p.rstrip("/") for p in accepts)
        )
