"""The contract between the clients and whatever moves bytes: ``Transport``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["Multipart", "Request", "Response", "StreamResponse", "Transport", "UploadFile"]


@dataclass(frozen=True, slots=True)
class UploadFile:
    """A file part of a multipart/form-data body."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.content)})"
        )


@dataclass(frozen=True, slots=True)
class Multipart:
    """A multipart/form-data body: plain text fields plus files."""

    fields: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, UploadFile] = field(default_factory=dict)


@dataclass(slots=True)
class Request:
    """An HTTP request as the clients describe it to a transport.

    At most one of ``content`` (an encoded body, usually JSON) and ``form`` (a
    multipart body the transport encodes) is set. ``timeout`` is in seconds for the
    whole exchange; None means no limit. ``follow_redirects`` is False for API calls
    so that credentials never travel to another host. ``decompress`` False passes a
    body on exactly as sent, whatever its ``Content-Encoding`` (downloads use it:
    audio is never inflated, so a compressed bomb stays the size it was sent at).
    """

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] | None = None
    content: bytes | None = None
    form: Multipart | None = None
    timeout: float | None = None
    follow_redirects: bool = False
    decompress: bool = True

    def __repr__(self) -> str:
        # Headers carry credentials: they never appear in a repr.
        return f"Request(method={self.method!r}, url={self.url!r}, params={self.params!r})"


@dataclass(slots=True)
class Response:
    """A complete HTTP response. ``headers`` keys are lower-case."""

    status: int
    headers: Mapping[str, str]
    content: bytes

    def __repr__(self) -> str:
        return f"Response(status={self.status}, size={len(self.content)})"


@runtime_checkable
class StreamResponse(Protocol):
    """An HTTP response whose body is read incrementally. ``headers`` keys are lower-case."""

    @property
    def status(self) -> int:
        """The HTTP status code."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, with lower-case names."""
        ...

    def aiter_bytes(self, chunk_size: int = 65536) -> AsyncIterator[bytes]:
        """Yield the body in chunks of at most ``chunk_size`` bytes."""
        ...

    async def aread(self) -> bytes:
        """Read the rest of the body."""
        ...


@runtime_checkable
class Transport(Protocol):
    """Sends requests. Implementations raise ``TransportError``/``RequestTimeout`` only.

    ``TransportError.sent`` must be False only when the request certainly did not
    reach the server (the connection could not be made); the clients rely on it to
    decide whether a request that creates something may be repeated.
    """

    async def send(self, request: Request) -> Response:
        """Send ``request`` and read the whole response."""
        ...

    def stream(self, request: Request) -> AbstractAsyncContextManager[StreamResponse]:
        """Send ``request``; the context manager yields the response with its body unread."""
        ...

    async def aclose(self) -> None:
        """Release connections and other resources. Safe to call twice."""
        ...
