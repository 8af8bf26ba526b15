"""The Mubert simulator over HTTP: ``python -m mubert_async.sim --port 8080``.

``create_app(fake)`` is an aiohttp application answering from a ``FakeMubert``;
``serve(fake)`` binds it on a loopback address and points the fake's URLs there.
"""

from __future__ import annotations

from ._server import create_app, serve

__all__ = ["create_app", "serve"]
