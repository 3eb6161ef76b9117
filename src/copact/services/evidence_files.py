"""What the edges need to know of an evidence file without reaching into the store: its
record (``EvidenceRecord``: hash, kind, name, size, media type, who may see it) and the media
type its first bytes show (:func:`sniff`), the same judge the evidence store applies."""

from __future__ import annotations

from copact.store.blobs import sniff
from copact.store.journal import EvidenceRecord

__all__ = ["EvidenceRecord", "sniff"]
