"""Checks on user input, run before anything is sent.

Each check returns the value in the form the API expects (enum members become
plain strings) or raises ``InvalidRequestError`` naming the field and the rule.
Bounds follow the OpenAPI document; where it and the guide disagree the notes say
which one is enforced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ._enums import BITRATES, KEYS, Format, Instrument, Intensity, Mode, Stem, StreamingType
from ._errors_base import InvalidRequestError

__all__ = [
    "MAX_DURATION",
    "MIN_DURATION",
    "check_bool",
    "check_choice",
    "check_custom_id",
    "check_http_url",
    "check_int",
    "check_list",
    "check_path_id",
    "check_playlist_index",
    "check_text",
    "check_timeout",
]

MIN_DURATION = 5
"""Shortest track the API generates, in seconds (OpenAPI ``minimum: 5``)."""
MAX_DURATION = 3600
"""Longest track the API generates, in seconds (OpenAPI: "between 5 and 3600")."""

# re.ASCII: a plain \d also matches the digits of other scripts (Arabic-Indic, fullwidth...).
_PLAYLIST_INDEX = re.compile(r"\d+(?:\.\d+){0,2}", re.ASCII)
_CUSTOM_ID = re.compile(r"[A-Za-z0-9._@-]{1,255}")
_UNSAFE_ID = re.compile(r"[\x00-\x20\x7f/\\?#%]")
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")

T = TypeVar("T")


def check_int(field: str, value: Any, *, minimum: int, maximum: int | None = None) -> int:
    """An ``int`` (not a bool, not a float) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequestError(field, f"must be an integer, got {type(value).__name__}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise InvalidRequestError(field, f"must be {bound}, got {value}")
    return value


def check_timeout(field: str, value: Any) -> float:
    """A finite number of seconds > 0 (``inf`` and ``nan`` are refused: timers overflow)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not value > 0
        or not math.isfinite(value)
    ):
        raise InvalidRequestError(
            field, f"must be a finite positive number of seconds, got {value!r}"
        )
    return float(value)


def check_bool(field: str, value: Any) -> bool:
    """A real ``bool``."""
    if not isinstance(value, bool):
        raise InvalidRequestError(field, f"must be True or False, got {type(value).__name__}")
    return value


def _check_unicode(field: str, value: str) -> None:
    """Reject a lone surrogate (``"\\ud800"``): it has no UTF-8 form, so it cannot be sent."""
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise InvalidRequestError(field, "must be valid Unicode (no lone surrogates)") from None


def check_text(field: str, value: Any, *, max_length: int, min_length: int = 1) -> str:
    """A ``str`` of ``min_length`` to ``max_length`` characters without control characters."""
    if not isinstance(value, str):
        raise InvalidRequestError(field, f"must be a string, got {type(value).__name__}")
    _check_unicode(field, value)
    if not min_length <= len(value) <= max_length:
        raise InvalidRequestError(
            field, f"must be {min_length} to {max_length} characters long, got {len(value)}"
        )
    if any((ord(c) < 0x20 and c not in "\t\n\r") or ord(c) == 0x7F for c in value):
        raise InvalidRequestError(field, "must not contain control characters")
    return value


_CHOICES: dict[str, tuple[Any, ...]] = {
    "bitrate": tuple(sorted(BITRATES)),
    "format": tuple(m.value for m in Format),
    "intensity": tuple(m.value for m in Intensity),
    "mode": tuple(m.value for m in Mode),
    "key": KEYS,
    "type": tuple(m.value for m in StreamingType),
    "order": ("asc", "desc"),
    "stem": tuple(m.value for m in Stem),
    "instrument": tuple(m.value for m in Instrument),
}


def check_choice(field: str, value: Any, *, kind: str | None = None) -> Any:
    """One of the API's allowed values for ``kind`` (default: the field's name)."""
    choices = _CHOICES[kind or field]
    raw = value.value if isinstance(value, Enum) else value
    if isinstance(raw, bool) or raw not in choices or type(raw) is not type(choices[0]):
        shown = ", ".join(str(c) for c in choices)
        raise InvalidRequestError(field, f"must be one of {shown}; got {value!r}")
    return raw


def check_list(field: str, values: Any, *, kind: str) -> list[str]:
    """A non-empty list of allowed values for ``kind``, without duplicates."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidRequestError(field, "must be a list")
    items = [check_choice(field, v, kind=kind) for v in values]
    if not items:
        raise InvalidRequestError(field, "must not be empty")
    if len(set(items)) != len(items):
        raise InvalidRequestError(field, "must not repeat a value")
    return items


def check_playlist_index(value: Any, *, field: str = "playlist_index") -> str:
    """A channel index such as ``"1.0.0"``, ``"1.0"`` or ``"1"`` (at most 10 characters)."""
    if not isinstance(value, str) or len(value) > 10 or not _PLAYLIST_INDEX.fullmatch(value):
        raise InvalidRequestError(
            field, f'must look like "category.group.channel", e.g. "1.0.0"; got {value!r}'
        )
    return value


def check_http_url(field: str, value: Any, *, max_length: int) -> str:
    """An absolute http(s) URL with a host and a valid port, without whitespace or controls."""
    url = check_text(field, value, max_length=max_length)
    try:  # urlsplit raises ValueError for e.g. "http://[" or a netloc NFKC turns into "#"
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
        valid = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or _UNSAFE_URL.search(url):
        raise InvalidRequestError(
            field, "must be an http(s) URL with a host, without whitespace or control characters"
        )
    return url


def check_custom_id(value: Any) -> str:
    """Letters, digits and ``. _ @ -``, 1 to 255 characters (the guide's rule)."""
    if not isinstance(value, str) or not _CUSTOM_ID.fullmatch(value) or value in {".", ".."}:
        raise InvalidRequestError(
            "custom_id",
            'must be 1-255 characters of letters, digits and ".", "_", "@", "-"',
        )
    return value


def check_path_id(field: str, value: Any) -> str:
    """An identifier that is safe as one URL path segment.

    Rejects empty values, ``.``/``..``, separators (``/``, ``\\``), ``?``, ``#``, ``%``,
    whitespace and control characters: any of them could change which URL is called.
    """
    if not isinstance(value, str):
        raise InvalidRequestError(field, f"must be a string, got {type(value).__name__}")
    if not value or len(value) > 255 or value in {".", ".."} or _UNSAFE_ID.search(value):
        raise InvalidRequestError(
            field, "must be a non-empty id without '/', '\\', '?', '#', '%', '..' or whitespace"
        )
    _check_unicode(field, value)
    return value
