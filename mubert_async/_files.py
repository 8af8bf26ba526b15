"""Reading and checking the image sent for image-to-music."""

from __future__ import annotations

import os
from typing import Any

import anyio

from .errors import InvalidRequestError
from .transport import UploadFile

__all__ = ["MAX_IMAGE_BYTES", "MIN_IMAGE_BYTES", "read_image"]

MIN_IMAGE_BYTES = 50 * 1024
"""Smallest image the API accepts (OpenAPI: 50 KB)."""
MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest image the API accepts (guide and OpenAPI: 10 MB)."""

_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"BM", 0, "image/bmp", "bmp"),
)


def _sniff(data: bytes) -> tuple[str, str]:
    for magic, offset, content_type, extension in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (offset == 0 or data[:4] == b"RIFF"):
            return content_type, extension
    raise InvalidRequestError("image", "must be a PNG, JPEG, WEBP or BMP image")


def _check_size(size: int) -> None:
    if not MIN_IMAGE_BYTES <= size <= MAX_IMAGE_BYTES:
        raise InvalidRequestError("image", f"must be between 50 KB and 10 MB, got {size} bytes")


async def read_image(image: Any) -> UploadFile:
    """The image as a multipart file part; InvalidRequestError if the API would refuse it."""
    name = "image"
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
    elif isinstance(image, (str, os.PathLike)):
        file = anyio.Path(os.fspath(image))
        try:
            _check_size((await file.stat()).st_size)
            data = await file.read_bytes()
        except (OSError, ValueError) as exc:  # ValueError: a NUL or lone surrogate in the path
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise InvalidRequestError(
                "image", f"cannot read {os.fspath(image)!r}: {reason}"
            ) from None
        name = file.stem or name
    elif hasattr(image, "read"):
        try:  # one byte past the limit is enough to refuse it
            data = await anyio.to_thread.run_sync(image.read, MAX_IMAGE_BYTES + 1)
        except (OSError, ValueError) as exc:  # ValueError: "I/O operation on closed file"
            raise InvalidRequestError("image", f"cannot read the file object: {exc}") from exc
        if not isinstance(data, bytes):
            raise InvalidRequestError("image", "file object must be opened in binary mode")
    else:
        raise InvalidRequestError("image", "must be bytes, a path or a binary file object")
    _check_size(len(data))
    content_type, extension = _sniff(data)
    return UploadFile(f"{name}.{extension}", data, content_type)
