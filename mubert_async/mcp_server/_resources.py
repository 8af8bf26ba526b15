"""Resources an agent reads to discover valid values: the playlists and the library parameters."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from ._backend import Backend
from ._errors import reported_as
from ._schemas import library_values, playlist_info

__all__ = ["LIBRARY_URI", "PLAYLISTS_URI", "register_resources"]

PLAYLISTS_URI = "mubert://playlists"
LIBRARY_URI = "mubert://library/params"

Fetch = Callable[[Backend], Awaitable[Any]]


async def _playlists(backend: Backend) -> Any:
    found = await backend.client.playlists.list()
    return [playlist_info(p).model_dump(exclude_none=True) for p in found]


async def _library_params(backend: Backend) -> Any:
    values = library_values(await backend.client.library.params())
    return {name: [v.model_dump() for v in found] for name, found in values.items()}


_RESOURCES: tuple[tuple[str, str, str, Fetch], ...] = (
    (
        PLAYLISTS_URI,
        "playlists",
        "Every channel to generate from: playlist_index, names, bpm range, keys.",
        _playlists,
    ),
    (
        LIBRARY_URI,
        "library-params",
        "The music library's parameters (genres, moods, keys...) with track counts.",
        _library_params,
    ),
)


def register_resources(app: MCPServer[Any], backend: Backend) -> None:
    """Add the playlist and library-parameter resources (JSON) to ``app``."""
    for uri, name, description, fetch in _RESOURCES:
        read = app.resource(uri, name=name, description=description, mime_type="application/json")
        read(_reader(backend, fetch))


def _reader(backend: Backend, fetch: Fetch) -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        with reported_as(ResourceError, backend.redactor):
            return json.dumps(await fetch(backend))

    return read
