"""One page of a paginated listing."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

__all__ = ["Page", "PageMeta"]

T = TypeVar("T")


class PageMeta(msgspec.Struct, kw_only=True, frozen=True):
    """Where a page sits in the whole listing."""

    total: int | None = None
    limit: int | None = None
    offset: int | None = None
    order_by: str | None = None
    order: str | None = None


class Page(msgspec.Struct, Generic[T], kw_only=True, frozen=True):
    """Items of one page (``data``) and the listing's ``meta`` (total, limit, offset)."""

    data: list[T]
    meta: PageMeta = PageMeta()

    def __len__(self) -> int:
        return len(self.data)

    @property
    def has_more(self) -> bool:
        """True when items exist past this page."""
        if self.meta.total is not None and self.meta.offset is not None:
            return self.meta.offset + len(self.data) < self.meta.total
        return bool(self.data) and (self.meta.limit is None or len(self.data) >= self.meta.limit)
