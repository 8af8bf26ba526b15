"""Turning response bodies into models, in one pass, whichever shape the server sends."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from ..errors import TransportError

__all__ = ["ResponseDecoder"]

T = TypeVar("T")


class _Envelope(msgspec.Struct, Generic[T]):
    data: T


class ResponseDecoder(Generic[T]):
    """Decodes ``T`` sent bare or wrapped in ``{"data": ...}``.

    The OpenAPI document and the guide disagree on which responses are wrapped, so
    both shapes are accepted. The shape the spec documents (``wrapped``) is tried
    first and decodes in a single pass; the other costs a second pass only when a
    server actually sends it. Built once per type and reused.
    """

    __slots__ = ("_first", "_second", "_type")

    def __init__(self, type_: Any, *, wrapped: bool = True) -> None:
        envelope = msgspec.json.Decoder(_Envelope[type_])
        bare = msgspec.json.Decoder(type_)
        self._type = type_
        first, second = (envelope, bare) if wrapped else (bare, envelope)
        self._first: msgspec.json.Decoder[Any] = first
        self._second: msgspec.json.Decoder[Any] = second

    def decode(self, content: bytes) -> T:
        """The model in ``content``; a TransportError if the body is not a valid ``T``."""
        try:
            try:
                value = self._first.decode(content)
            except msgspec.ValidationError as first_error:
                try:
                    value = self._second.decode(content)
                except msgspec.ValidationError:
                    raise TransportError(f"unexpected response shape: {first_error}") from None
        # Also when only the second pass meets the malformed part; invalid UTF-8 in a
        # string and nesting too deep for msgspec raise these rather than DecodeError.
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise TransportError(f"malformed JSON in response: {exc}") from None
        result: T = value.data if isinstance(value, _Envelope) else value
        return result
