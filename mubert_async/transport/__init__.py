"""Transports: how requests reach the Mubert API (or a simulator).

``Transport`` is a small protocol; ``AiohttpTransport`` is the default,
``HttpxTransport`` (extra ``httpx``) a second implementation, ``MockTransport`` wraps
a function for tests, and ``mubert_async.testing.FakeMubert().transport()`` serves
requests from the in-memory simulator.
"""

from typing import TYPE_CHECKING, Any

from ._base import Multipart, Request, Response, StreamResponse, Transport, UploadFile
from ._mock import MockTransport

if TYPE_CHECKING:
    from ._aiohttp import AiohttpTransport
    from ._httpx import HttpxTransport

__all__ = [
    "AiohttpTransport",
    "HttpxTransport",
    "MockTransport",
    "Multipart",
    "Request",
    "Response",
    "StreamResponse",
    "Transport",
    "UploadFile",
]


def __getattr__(name: str) -> Any:
    """Import a concrete transport on first use (PEP 562), so importing the SDK stays cheap."""
    if name == "AiohttpTransport":  # aiohttp costs ~100 ms to import: only when used
        from ._aiohttp import AiohttpTransport

        return AiohttpTransport
    if name == "HttpxTransport":  # httpx is an optional extra
        from ._httpx import HttpxTransport

        return HttpxTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
