"""Redaction of credentials from shown text, and one-line error texts (CLI and MCP server)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "Redactor", "error_message", "redact_link"]

MASK = "***"
"""What a credential is replaced with wherever it would be shown."""

_MIN_SECRET = 6  # shorter values would mangle ordinary text (the SDK uses the same bound)

# Query parameters and JSON keys whose values are secrets (ids are not: they are shown).
_SECRET_PARAMS = ("access_token", "license_token")
_SECRET_KEYS = frozenset({"token", "access_token", "license_token"})
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:" + "|".join(_SECRET_PARAMS) + r")=)(?P<value>[^&#\s\"'<>]*)",
    re.IGNORECASE,
)


def redact_link(link: str) -> str:
    """``link`` with the values of secret query parameters (tokens) replaced by ``***``."""
    return _SECRET_QUERY.sub(lambda m: m.group("key") + MASK, link)


class Redactor:
    """Removes the configured credentials (and credential-looking URL parameters) from text.

    Every line the command line prints, including error messages and log records,
    goes through ``text``; every JSON document through ``data``.
    """

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *values: str | None) -> None:
        """Treat each of ``values`` (long enough to be a credential) as a secret."""
        for value in values:
            if value is None:
                continue
            for candidate in {value, value.strip()}:
                if len(candidate) >= _MIN_SECRET and candidate not in self._secrets:
                    self._secrets.append(candidate)
        self._secrets.sort(key=len, reverse=True)  # longest first: no partial leftovers

    def text(self, text: str) -> str:
        """``text`` without any secret: each one becomes ``***``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return redact_link(text)

    def data(self, value: Any) -> Any:
        """A JSON-ready value with credential fields masked and every string redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                key: (MASK if key in _SECRET_KEYS and value[key] is not None else self.data(item))
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.data(item) for item in value]
        return value


def error_message(error: BaseException) -> str:
    """A one-line message for ``error`` (OS errors without their errno prefix)."""
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return " ".join(str(error).split()) or type(error).__name__
