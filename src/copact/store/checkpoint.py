"""Signed checkpoints: a statement of how long a deal's journal was and what its head hash was
on a date, signed with the workspace's Ed25519 key. The other party keeps it; later,
``verify --checkpoint`` proves the journal still extends it. The chain alone cannot catch a
journal cut short or rewritten from the start; a kept checkpoint can::

    {"checkpoint": 1, "deal": "hybrid-dc1", "seq": 42, "head": "9f2c…", "at": "2026-11-22T…",
     "key": "<public key, base64>", "signature": "<Ed25519 over the other fields, base64>"}
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

__all__ = ["Checkpoint", "CheckpointError", "SigningKey"]


class CheckpointError(ValueError):
    """A checkpoint file that is malformed or whose signature does not hold."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signed_text(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The workspace's key at ``path``, created (readable by its owner only) if missing."""
        if path.is_file():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise CheckpointError(f"{path} is not an Ed25519 key")
            return cls(loaded)
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
class Checkpoint:
    deal: str
    seq: int
    head: str
    at: datetime
    key: str
    signature: str

    def fields(self) -> dict[str, Any]:
        return {
            "checkpoint": 1,
            "deal": self.deal,
            "seq": self.seq,
            "head": self.head,
            "at": self.at.isoformat(),
            "key": self.key,
        }

    @classmethod
    def sign(cls, key: SigningKey, *, deal: str, seq: int, head: str, at: datetime) -> Checkpoint:
        unsigned = cls(deal, seq, head, at, key.public, "")
        signature = key.private.sign(_signed_text(unsigned.fields()))
        return cls(deal, seq, head, at, key.public, _b64(signature))

    def to_json(self) -> str:
        return json.dumps({**self.fields(), "signature": self.signature}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        """Parse and check the signature; raise :class:`CheckpointError` saying what is wrong."""
        try:
            data = json.loads(text)
            made = cls(
                deal=str(data["deal"]),
                seq=int(data["seq"]),
                head=str(data["head"]),
                at=datetime.fromisoformat(data["at"]),
                key=str(data["key"]),
                signature=str(data["signature"]),
            )
            if data.get("checkpoint") != 1:
                raise CheckpointError("not a copact checkpoint (version 1)")
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(made.key))
            public.verify(base64.b64decode(made.signature), _signed_text(made.fields()))
        except InvalidSignature:
            raise CheckpointError("its signature does not match its content") from None
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, CheckpointError):
                raise
            raise CheckpointError(f"not a checkpoint: {exc}") from None
        return made
