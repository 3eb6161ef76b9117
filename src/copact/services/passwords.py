"""Password hashing with argon2id above the OWASP minimum (m = 19 MiB, t = 2, p = 1).

We use m = 64 MiB, t = 3, p = 1: about 60 ms a guess on one core, which a person signing in does
not notice and an attacker with a stolen table does. A hash made with weaker parameters is
upgraded the next time its owner signs in (:func:`needs_rehash`).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["hash_password", "needs_rehash", "new_password", "verify_password"]

_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1, type=Type.ID)
#: verified against when the account does not exist, so both paths take as long
_DUMMY = _HASHER.hash("copact-dummy-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def new_password() -> str:
    """A one-time password a person can type: 4 groups of 5 characters, about 100 bits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
