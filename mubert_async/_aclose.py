"""``async with`` for everything that closes with ``await x.aclose()``: one definition."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["AsyncClosing"]

Self = TypeVar("Self", bound="AsyncClosing")


class AsyncClosing:
    """A mixin: ``async with x:`` returns ``x`` and ends with ``await x.aclose()``."""

    async def aclose(self) -> None:
        """Release what the object holds (subclasses say what)."""
        raise NotImplementedError

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
