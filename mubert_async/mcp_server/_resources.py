"""Resources an agent reads to discover valid values: the playlists and the library parameters."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from ._backend import Backend
from ._errors import reported_as
from ._schemas import library_values, playlist_info

__all__ = ["LIBRARY_URI", "PLAYLISTS_URI", "register_resources"]

PLAYLISTS_URI = "mubert://playlists"
LIBRARY_URI = "mubert://library/params"


def register_resources(app: MCPServer[Any], backend: Backend) -> None:
    """Add the playlist and library-parameter resources (JSON) to ``app``."""
    client = backend.client

    @app.resource(
        PLAYLISTS_URI,
        name="playlists",
        description="Every channel to generate from: playlist_index, names, bpm range, keys.",
        mime_type="application/json",
    )
    async def playlists() -> str:
        with reported_as(ResourceError, backend.redactor):
            found = await client.playlists.list()
        return json.dumps([playlist_info(p).model_dump(exclude_none=True) for p in found])

    @app.resource(
        LIBRARY_URI,
        name="library-params",
        description="The music library's parameters (genres, moods, keys...) with track counts.",
        mime_type="application/json",
    )
    async def library_params() -> str:
        with reported_as(ResourceError, backend.redactor):
            found = await client.library.params()
        values = library_values(found)
        return json.dumps({k: [v.model_dump() for v in vs] for k, vs in values.items()})
