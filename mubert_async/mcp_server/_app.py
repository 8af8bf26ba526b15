"""The MCP server: tools and resources on an open client, served over stdio or local HTTP."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer

from .._client import MubertClient
from .._redaction import Redactor
from .._version import __version__
from ._backend import Backend
from ._errors import Scrubber
from ._resources import register_resources
from ._tools import register_tools

__all__ = ["HOST", "build_server", "serve"]

HOST = "127.0.0.1"
"""The only address ``--http`` listens on."""

_INSTRUCTIONS = """\
Generate music with Mubert. Call generate_track with a text prompt (or a
playlist_index from list_playlists) and a duration in seconds; it waits until the audio is
ready and returns its url (and a local path when the server saves files). Use
generate_tracks for several at once. Errors read "ErrorClass: field: rule"; fix the field
and call again."""

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def build_server(backend: Backend, *, log_level: LogLevel = "WARNING") -> MCPServer[Any]:
    """An ``MCPServer`` whose tools and resources act through ``backend``.

    Every answer passes through ``backend.redactor`` (see ``Scrubber``).
    """
    app: MCPServer[Any] = MCPServer(
        "mubert",
        title="Mubert music generation",
        instructions=_INSTRUCTIONS,
        version=__version__,
        log_level=log_level,
        middleware=[Scrubber(backend.redactor)],
    )
    register_tools(app, backend)
    register_resources(app, backend)
    return app


async def serve(
    open_client: Callable[[], AbstractAsyncContextManager[MubertClient]],
    redactor: Redactor,
    *,
    out: pathlib.Path | None = None,
    http_port: int | None = None,
    debug: bool = False,
) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (``http_port``).

    ``open_client`` gives the ``MubertClient`` every tool uses, open for the whole run.
    With ``http_port``, streamable HTTP is served on 127.0.0.1 only, at ``/mcp``.
    The MCP SDK logs warnings to stderr (``debug``: everything).
    """
    async with open_client() as client:
        level: LogLevel = "DEBUG" if debug else "WARNING"
        app = build_server(Backend(client, redactor, out), log_level=level)
        if http_port is None:
            await app.run_stdio_async()
        else:
            await app.run_streamable_http_async(host=HOST, port=http_port)
