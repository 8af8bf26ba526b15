"""What every resource namespace shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from .._validation import check_int
from ..models import Page

if TYPE_CHECKING:
    from .._base_client import BaseClient

__all__ = ["Resource", "paginate", "check_page"]

T = TypeVar("T")


class Resource:
    """A group of endpoints bound to one client."""

    def __init__(self, client: BaseClient) -> None:
        self._client = client


def check_page(offset: int, limit: int, *, limit_name: str = "limit") -> None:
    """Reject an offset below 0 or a page size below 1."""
    check_int("offset", offset, minimum=0)
    check_int(limit_name, limit, minimum=1)


async def paginate(
    fetch: Callable[[int, int], Awaitable[Page[T]]], page_size: int
) -> AsyncIterator[T]:
    """Every item of a listing, fetching ``page_size`` items at a time as iteration needs them."""
    offset = 0
    while True:
        page = await fetch(offset, page_size)
        for item in page.data:
            yield item
        if not page.data or not page.has_more:
            return
        offset += len(page.data)
