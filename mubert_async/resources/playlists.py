"""``client.playlists``: the channels tracks and streams are made from."""

from __future__ import annotations

from ..models import Playlist
from ..models._decoding import ResponseDecoder
from ._base import Resource

__all__ = ["Playlists"]

_PLAYLISTS: ResponseDecoder[list[Playlist]] = ResponseDecoder(list[Playlist])


class Playlists(Resource):
    """The catalogue of channels (``playlist_index`` values) with their bpm ranges and keys."""

    async def list(self) -> list[Playlist]:
        """Every channel available to this customer."""
        return await self._client._request_model("GET", "/public/playlists", _PLAYLISTS)
