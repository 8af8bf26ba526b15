"""``mubert mcp``: the SDK as Model Context Protocol tools for AI agents (extra ``mcp``).

Tools generate tracks (one, or many inside the account's concurrency limit), look
them up, list them, list playlists and library parameters, and download; resources
``mubert://playlists`` and ``mubert://library/params`` list valid values. Built on the
official ``mcp`` SDK; run it with ``mubert mcp`` (``--sim`` for the offline simulator).
"""

from ._app import HOST, build_server, serve
from ._backend import Backend

__all__ = ["HOST", "Backend", "build_server", "serve"]
