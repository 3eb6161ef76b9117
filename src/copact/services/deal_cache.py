"""Stored deal texts, parsed once: a deal is a frozen value, so the same text always gives
the same :class:`Deal` and parsing it again (YAML, then the model) is wasted work.

The cache is keyed by ``(deal id, SHA-256 of the text)`` and bounded (least recently used
first out), so a server that sees many deals and versions over months keeps a fixed number::

    parsed_deal(text, "hybrid-dc1")   # parsed
    parsed_deal(text, "hybrid-dc1")   # the same object, from the cache

Reading the text from the database is the caller's business (and so is checking it against
its recorded hash: :func:`copact.store.journal.deal_text`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from copact.core.deal import Deal
from copact.dealfile.loader import load_text
from copact.store.journal import version_sha

__all__ = ["MAXSIZE", "parsed_deal"]

MAXSIZE = 512
"""Deal texts kept parsed: the latest versions of the deals a server has open, and a few
earlier ones (a deal's model only, never its journal). A parsed deal of hybrid-dc1's size takes
about 70 KiB, so a full cache holds some 36 MiB per server process. It must hold every deal a
server works on at once: below that, least recently used first out evicts each deal just before
it is asked for again, and every request parses its YAML anew (``bench/api.py``'s 200 deals
against a cache of 128 spent a fifth of the server's time there)."""

_PARSED: OrderedDict[tuple[str, str], Deal] = OrderedDict()
_LOCK = threading.Lock()  # the web app's handler threads share it


def parsed_deal(text: str, deal_id: str) -> Deal:
    """The frozen Deal of a stored text (known to load: it was checked when stored)."""
    key = (deal_id, version_sha(text))
    with _LOCK:
        cached = _PARSED.get(key)
        if cached is not None:
            _PARSED.move_to_end(key)
            return cached
    loaded = load_text(text, f"{deal_id} (stored)")  # outside the lock: parsing takes a while
    assert loaded.deal is not None
    with _LOCK:
        _PARSED[key] = loaded.deal
        _PARSED.move_to_end(key)
        while len(_PARSED) > MAXSIZE:
            _PARSED.popitem(last=False)
    return loaded.deal
