"""Collections that grow with a journal and are shared by every state folded from it.

The fold (``core.state``) hands out a frozen :class:`~copact.core.state.DealState` per day it
is asked about, and an import asks on every event: copying what grows with the journal (the
claims, the payment references, who confirmed which payment…) into each state would make a
journal of N events cost N² steps. Instead the fold keeps one writer per collection and each
state holds a *view* of it: the writer's storage and how far into it the view reaches (its
version). Writing costs O(1), taking a view O(1), and a view never changes::

    refs = KeysWriter[str]()
    refs.add("P-1"); before = refs.view()       # {'P-1'}
    refs.add("P-2"); after = refs.view()        # {'P-1', 'P-2'}
    "P-2" in before, "P-2" in after             # False, True

- :class:`LogView` (of a :class:`LogWriter`): an append-only sequence that reads like a tuple
  (``len``, indexing and slices, iteration, ``in``, ``==`` with a tuple).
- :class:`KeysView` (of a :class:`KeysWriter`): a set that only grows, read like a frozenset
  (``in``, iteration in the order added, ``len``, ``|``, ``&``, ``-``, ``==``).
- :class:`MapView` (of a :class:`MapWriter`): a mapping whose keys are set and deleted, read
  like a dict (``[]``, ``get``, ``in``, ``len``, iteration in dict order, ``items()``, ``==``).
  A view of the writer's latest version reads its dict directly; an older view (a state kept
  while the fold went on) replays the writer's log up to its version once, on first read.

Only the fold writes, and always at the latest version; views are read-only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from itertools import islice
from typing import Any, Generic, TypeVar, overload

__all__ = ["KeysView", "KeysWriter", "LogView", "LogWriter", "MapView", "MapWriter"]

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LogWriter(Generic[T]):
    """The fold's side of an append-only sequence."""

    __slots__ = ("_items", "_view")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._items: list[T] = list(items)
        self._view: LogView[T] | None = None

    def append(self, item: T) -> None:
        self._items.append(item)
        self._view = None

    def view(self) -> LogView[T]:
        """What the log holds now, frozen."""
        if self._view is None:
            self._view = LogView(self._items, len(self._items))
        return self._view


class LogView(Sequence[T]):
    """The first ``n`` items of a log (the list is only ever appended to)."""

    __slots__ = ("_items", "_n")

    def __init__(self, items: list[T], n: int) -> None:
        self._items = items
        self._n = n

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...
    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self._items[i] for i in range(*index.indices(self._n)))
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError("index out of range")
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        return islice(self._items, self._n)

    def __contains__(self, value: object) -> bool:
        return any(item is value or item == value for item in self)

    def __bool__(self) -> bool:
        return self._n > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LogView):
            if other._items is self._items and other._n == self._n:
                return True
            return self._n == other._n and tuple(self) == tuple(other)
        if isinstance(other, tuple):
            return self._n == len(other) and tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __add__(self, other: tuple[T, ...] | LogView[T]) -> tuple[T, ...]:
        if isinstance(other, tuple | LogView):
            return (*self, *other)
        return NotImplemented

    def __radd__(self, other: tuple[T, ...]) -> tuple[T, ...]:
        if isinstance(other, tuple):
            return (*other, *self)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(tuple(self))


class KeysWriter(Generic[H]):
    """The fold's side of a set that only grows (each key remembers when it was added)."""

    __slots__ = ("_order", "_position", "_view")

    def __init__(self, keys: Iterable[H] = ()) -> None:
        self._position: dict[H, int] = {}
        self._order: list[H] = []
        self._view: KeysView[H] | None = None
        for key in keys:
            self.add(key)

    def add(self, key: H) -> None:
        if key not in self._position:
            self._position[key] = len(self._order)
            self._order.append(key)
            self._view = None

    def view(self) -> KeysView[H]:
        """What the set holds now, frozen."""
        if self._view is None:
            self._view = KeysView(self._position, self._order, len(self._order))
        return self._view


class KeysView(AbstractSet[H]):
    """The first ``n`` keys added to a growing set."""

    __slots__ = ("_n", "_order", "_position")

    def __init__(self, position: dict[H, int], order: list[H], n: int) -> None:
        self._position = position
        self._order = order
        self._n = n

    @classmethod
    def _from_iterable(cls, it: Iterable[Any]) -> frozenset[Any]:
        return frozenset(it)

    def __contains__(self, key: object) -> bool:
        try:
            at = self._position.get(key)  # type: ignore[arg-type]
        except TypeError:  # unhashable: never a member
            return False
        return at is not None and at < self._n

    def __iter__(self) -> Iterator[H]:
        return islice(self._order, self._n)

    def __len__(self) -> int:
        return self._n

    def __hash__(self) -> int:
        return self._hash()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


_GONE: Any = object()  # a deletion in a map's log


class MapWriter(Generic[K, V]):
    """The fold's side of a mapping: its dict now, and the log of every write to it."""

    __slots__ = ("_live", "_log", "_view")

    def __init__(self, items: Iterable[tuple[K, V]] = ()) -> None:
        self._live: dict[K, V] = {}
        self._log: list[tuple[K, V]] = []
        self._view: MapView[K, V] | None = None
        for key, value in items:
            self[key] = value

    def __getitem__(self, key: K) -> V:
        return self._live[key]

    def __contains__(self, key: K) -> bool:
        return key in self._live

    def get(self, key: K) -> V | None:
        return self._live.get(key)

    def __setitem__(self, key: K, value: V) -> None:
        self._live[key] = value
        self._log.append((key, value))
        self._view = None

    def __delitem__(self, key: K) -> None:
        del self._live[key]
        self._log.append((key, _GONE))
        self._view = None

    def view(self) -> MapView[K, V]:
        """What the mapping holds now, frozen."""
        if self._view is None:
            self._view = MapView(self, len(self._log))
        return self._view

    def _replay(self, version: int) -> dict[K, V]:
        """The dict after the first ``version`` writes (the same order a dict would keep)."""
        replayed: dict[K, V] = {}
        for key, value in islice(self._log, version):
            if value is _GONE:
                del replayed[key]
            else:
                replayed[key] = value
        return replayed


class MapView(Mapping[K, V]):
    """A mapping as it stood after the first ``version`` writes of its writer."""

    __slots__ = ("_old", "_version", "_writer")

    def __init__(self, writer: MapWriter[K, V], version: int) -> None:
        self._writer = writer
        self._version = version
        self._old: dict[K, V] | None = None

    def _dict(self) -> dict[K, V]:
        writer = self._writer
        if len(writer._log) == self._version:
            return writer._live
        if self._old is None:  # the fold went on since this view was taken
            self._old = writer._replay(self._version)
        return self._old

    def __getitem__(self, key: K) -> V:
        return self._dict()[key]

    def get(self, key: K, default: Any = None) -> Any:
        return self._dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        try:
            return key in self._dict()
        except TypeError:  # unhashable: never a key
            return False

    def __iter__(self) -> Iterator[K]:
        # the keys as they are now: a later write to the writer cannot change this iteration
        return iter(list(self._dict()))

    def __len__(self) -> int:
        return len(self._dict())

    def __bool__(self) -> bool:
        return bool(self._dict())

    def __repr__(self) -> str:
        return repr(self._dict())
