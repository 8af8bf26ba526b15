"""``client.streaming``: endless streams of a channel."""

from __future__ import annotations

from typing import Any

import msgspec

from .._validation import check_bool, check_choice, check_int, check_playlist_index
from ..models import Intensity, StreamingType
from ..models._decoding import ResponseDecoder
from ._base import Resource

__all__ = ["Streaming"]


class _Link(msgspec.Struct):
    link: str


_LINK: ResponseDecoder[_Link] = ResponseDecoder(_Link)


class Streaming(Resource):
    """Get a stream link for a channel and steer the customer's stream."""

    async def get_link(
        self,
        playlist_index: str,
        *,
        bitrate: int | None = None,
        intensity: Intensity | str | None = None,
        type: StreamingType | str | None = None,
    ) -> str:
        """A streaming URL for the channel ``playlist_index``."""
        params: dict[str, Any] = {"playlist_index": check_playlist_index(playlist_index)}
        for name, value in (("bitrate", bitrate), ("intensity", intensity), ("type", type)):
            if value is not None:
                params[name] = check_choice(name, value)
        link = await self._client._request_model(
            "GET", "/public/streaming/get-link", _LINK, params=params
        )
        return link.link

    async def set_loop(self, on: bool, *, time: int | None = None) -> None:
        """Loop the latest part of the stream (``on=True``) or stop looping.

        ``time`` is the current playback time in seconds since the session started.
        """
        body: dict[str, Any] = {"loop": "on" if check_bool("on", on) else "off"}
        if time is not None:
            body["time"] = check_int("time", time, minimum=0)
        await self._client._request(
            "POST", "/public/streaming/set-loop-state", json=body, idempotent=True
        )

    async def set_intensity(self, intensity: Intensity | str) -> None:
        """Change how many instruments play at once, without breaking the stream."""
        body = {"intensity": check_choice("intensity", intensity)}
        await self._client._request(
            "POST", "/public/streaming/set-intensity", json=body, idempotent=True
        )

    async def restart(self) -> None:
        """Start a different melody on the same stream URL."""
        await self._client._request("POST", "/public/streaming/restart")
