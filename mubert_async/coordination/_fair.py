"""A waiting line served round-robin by group and first come, first served within a group."""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Generic, TypeVar

__all__ = ["FairQueue"]

T = TypeVar("T")


class FairQueue(Generic[T]):
    """Items queued by group; ``popleft`` takes the next group's oldest item, then rotates."""

    def __init__(self) -> None:
        self._groups: OrderedDict[str, deque[T]] = OrderedDict()

    def __len__(self) -> int:
        return sum(len(items) for items in self._groups.values())

    def __bool__(self) -> bool:
        return bool(self._groups)

    def append(self, group: str, item: T) -> None:
        """Queue ``item`` at the end of its group (a new group joins the end of the round)."""
        self._groups.setdefault(group, deque()).append(item)

    def popleft(self) -> T:
        """The next item in fair order; its group moves to the end of the round."""
        group, items = next(iter(self._groups.items()))
        item = items.popleft()
        del self._groups[group]
        if items:
            self._groups[group] = items
        return item

    def remove(self, group: str, item: T) -> None:
        """Take ``item`` out of the line (a cancelled waiter)."""
        items = self._groups[group]
        items.remove(item)
        if not items:
            del self._groups[group]
