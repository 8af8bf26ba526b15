"""``client.library``: Mubert's curated library of ready tracks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from .._validation import check_choice, check_int, check_text
from ..errors import InvalidRequestError
from ..models import LibraryParam, Page, Track
from ..models._decoding import ResponseDecoder
from ._base import Resource, check_page, paginate

__all__ = ["Library", "check_library_filters"]

_PARAMS: ResponseDecoder[list[LibraryParam]] = ResponseDecoder(list[LibraryParam], wrapped=False)
_TRACK_PAGE: ResponseDecoder[Page[Track]] = ResponseDecoder(Page[Track], wrapped=False)

_TEXT_FILTERS = ("genres", "moods", "activities", "playlists", "instruments", "themes", "order_by")


def check_library_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters as query parameters; InvalidRequestError for an unknown or bad one."""
    params: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if name in _TEXT_FILTERS:
            params[name] = check_text(name, value, max_length=255)
        elif name == "bpm":
            params[name] = check_int(name, value, minimum=1, maximum=500)
        elif name == "duration":
            params[name] = check_int(name, value, minimum=5)
        elif name in ("key", "mode", "order"):
            params[name] = check_choice(name, value)
        else:
            known = ", ".join(sorted((*_TEXT_FILTERS, "bpm", "duration", "key", "mode", "order")))
            raise InvalidRequestError(name, f"is not a library filter; use one of {known}")
    return params


class Library(Resource):
    """Browse the library by genre, mood, activity, bpm, key, duration and more.

    Filters combine with a logical AND: ``genres="Nu Disco", bpm=120``.
    """

    async def params(self, **filters: Any) -> list[LibraryParam]:
        """The filter values available, with track counts, among tracks matching ``filters``."""
        params = check_library_filters(filters)
        params.pop("order", None), params.pop("order_by", None)
        return await self._client._request_model(
            "GET", "/public/music-library/params", _PARAMS, params=params
        )

    async def tracks(self, *, offset: int = 0, limit: int = 25, **filters: Any) -> Page[Track]:
        """One page of library tracks matching ``filters``."""
        check_page(offset, limit)
        params = {"offset": offset, "limit": limit, **check_library_filters(filters)}
        return await self._client._request_model(
            "GET", "/public/music-library/tracks", _TRACK_PAGE, params=params
        )

    def iter_tracks(self, *, page_size: int = 100, **filters: Any) -> AsyncIterator[Track]:
        """Every library track matching ``filters``, fetched page by page."""
        check_page(0, page_size, limit_name="page_size")
        check_library_filters(filters)

        async def fetch(offset: int, limit: int) -> Page[Track]:
            return await self.tracks(offset=offset, limit=limit, **filters)

        return paginate(fetch, page_size)
