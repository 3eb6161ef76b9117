"""Signed checkpoints: a statement of how long a deal's journal was and what its head hash was
on a date, signed with the workspace's Ed25519 key. The other party keeps it; later,
``verify --checkpoint`` proves the journal still extends it. The chain alone cannot catch a
journal cut short or rewritten from the start; a kept checkpoint can::

    {"checkpoint": 2, "deal": "hybrid-dc1", "seq": 42, "head": "9f2c…", "at": "2026-11-22T…",
     "versions": [{"version": 1, "sha256": "4be1…"}, {"version": 2, "sha256": "07aa…"}],
     "key": "<public key, base64>", "signature": "<Ed25519 over the other fields, base64>"}

``versions`` are the SHA-256 of each stored deal text: what prices every invoice is vouched for
with the events, so a text (and its hash column) rewritten in the database fails against a kept
checkpoint. A version-1 checkpoint (made before deal versions were signed) has no ``versions``
and still verifies the chain it vouched for.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from copact.errors import CopactError

__all__ = ["Checkpoint", "CheckpointError", "SigningKey", "SigningKeyMissing", "VersionHash"]


class CheckpointError(ValueError):
    """A checkpoint file that is malformed or whose signature does not hold."""


class SigningKeyMissing(CopactError):
    """The workspace's signing key is not where it should be. It is never replaced quietly:
    a new key would vouch for nothing the other party kept."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signed_text(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def load(cls, path: Path, *, name: str) -> SigningKey:
        """The workspace's key at ``path`` (``name``: how the user knows it, e.g.
        ``keys/checkpoint.pem``); :class:`SigningKeyMissing` when it is not there. Only
        :meth:`load_or_create` (``copact init``) makes a key."""
        if not path.is_file():
            raise SigningKeyMissing(
                f"the workspace's signing key {name} is missing ({path}); it signs this "
                "workspace's checkpoints and proves the ones given out were signed here. "
                "Restore it from a backup. A new key (`copact init` on the workspace makes one) "
                "would not verify the checkpoints signed with the old one"
            )
        try:
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"{path} is not a readable PEM key: {exc}") from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise CheckpointError(f"{path} is not an Ed25519 key")
        return cls(loaded)

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The workspace's key at ``path``, created (readable by its owner only) if missing:
        for ``copact init`` only; everything else loads it with :meth:`load`."""
        if path.is_file():
            return cls.load(path, name=str(path))
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        return cls(key)

    @property
    def public(self) -> str:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _b64(raw)


@dataclass(frozen=True)
class VersionHash:
    """A deal version a checkpoint vouches for: its number and the SHA-256 of its text."""

    version: int
    sha256: str


@dataclass(frozen=True)
class Checkpoint:
    deal: str
    seq: int
    head: str
    at: datetime
    key: str
    signature: str
    versions: tuple[VersionHash, ...] | None = None  # None: a version-1 checkpoint

    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "checkpoint": 1 if self.versions is None else 2,
            "deal": self.deal,
            "seq": self.seq,
            "head": self.head,
            "at": self.at.isoformat(),
            "key": self.key,
        }
        if self.versions is not None:
            fields["versions"] = [{"version": v.version, "sha256": v.sha256} for v in self.versions]
        return fields

    @classmethod
    def sign(
        cls,
        key: SigningKey,
        *,
        deal: str,
        seq: int,
        head: str,
        at: datetime,
        versions: tuple[VersionHash, ...] | None = None,
    ) -> Checkpoint:
        unsigned = cls(deal, seq, head, at, key.public, "", versions)
        signature = key.private.sign(_signed_text(unsigned.fields()))
        return cls(deal, seq, head, at, key.public, _b64(signature), versions)

    def to_json(self) -> str:
        return json.dumps({**self.fields(), "signature": self.signature}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse and check the signature; raise :class:`CheckpointError` saying what is wrong."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("checkpoint") not in (1, 2):
                raise CheckpointError("not a copact checkpoint (version 1 or 2)")
            versions = None
            if data["checkpoint"] == 2:
                versions = tuple(
                    VersionHash(int(v["version"]), str(v["sha256"])) for v in data["versions"]
                )
            made = cls(
                deal=str(data["deal"]),
                seq=int(data["seq"]),
                head=str(data["head"]),
                at=datetime.fromisoformat(data["at"]),
                key=str(data["key"]),
                signature=str(data["signature"]),
                versions=versions,
            )
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(made.key))
            public.verify(base64.b64decode(made.signature), _signed_text(made.fields()))
        except InvalidSignature:
            raise CheckpointError("its signature does not match its content") from None
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(f"not a checkpoint: {exc}") from None
        return made
