"""Where the API is, who is calling it, and how those settings are checked."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import AuthenticationError, InvalidRequestError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "PUBLIC_AUTH",
    "SERVICE_AUTH",
    "AuthScheme",
    "Credentials",
    "check_safe_url",
    "is_loopback",
    "plain_http_refusal",
    "resolve_base_url",
    "resolve_credentials",
]

DEFAULT_BASE_URL = "https://music-api.mubert.com/api/v3"
"""The production API."""
DEFAULT_TIMEOUT = 30.0
"""Seconds one HTTP request may take."""
DEFAULT_MAX_RETRIES = 2
"""How many times a failed request is repeated when repeating it is safe."""

ENV_BASE_URL = "MUBERT_BASE_URL"


@dataclass(frozen=True, slots=True)
class AuthScheme:
    """How one API directory authenticates: its two headers and their environment variables."""

    id_header: str
    token_header: str
    id_env: str
    token_env: str


PUBLIC_AUTH = AuthScheme("customer-id", "access-token", "MUBERT_CUSTOMER_ID", "MUBERT_ACCESS_TOKEN")
"""Customers, on the public directory."""
SERVICE_AUTH = AuthScheme(
    "company-id", "license-token", "MUBERT_COMPANY_ID", "MUBERT_LICENSE_TOKEN"
)
"""The company, on the service directory."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A pair of header names and their secret values; never shown in a repr."""

    id_header: str
    id_value: str
    token_header: str
    token_value: str

    def headers(self) -> dict[str, str]:
        """The two authentication headers."""
        return {self.id_header: self.id_value, self.token_header: self.token_value}

    def secrets(self) -> tuple[str, ...]:
        """The values that must never be logged or shown."""
        return (self.id_value, self.token_value)

    def __repr__(self) -> str:
        return f"Credentials({self.id_header}=***, {self.token_header}=***)"


def resolve_credentials(
    id_value: str | None, token_value: str | None, scheme: AuthScheme
) -> Credentials:
    """Credentials from the arguments, else the environment; AuthenticationError if missing."""
    id_value = id_value if id_value is not None else os.environ.get(scheme.id_env)
    token_value = token_value if token_value is not None else os.environ.get(scheme.token_env)
    missing = [
        env
        for env, value in ((scheme.id_env, id_value), (scheme.token_env, token_value))
        if not isinstance(value, str) or not value.strip()
    ]
    if missing or id_value is None or token_value is None:
        raise AuthenticationError(
            f"missing credentials: pass them to the client or set {' and '.join(missing)}"
        )
    id_value, token_value = id_value.strip(), token_value.strip()
    for header, value in ((scheme.id_header, id_value), (scheme.token_header, token_value)):
        if not _VISIBLE_ASCII.fullmatch(value):
            # The value is never quoted: it is a secret, and the bad character may not print.
            raise InvalidRequestError(
                header,
                "must be visible ASCII characters only (no spaces, control or non-ASCII "
                "characters); check for a stray character pasted with it",
            )
    return Credentials(scheme.id_header, id_value, scheme.token_header, token_value)


_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1, ``localhost`` and ``*.localhost`` (judged by name, not DNS)."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_refusal(url: str) -> str | None:
    """Why ``url`` may not be fetched (None when it may): https, or http to loopback only.

    The host is judged by how it is written, never by what it resolves to, so a
    name that a resolver points at 127.0.0.1 still needs https.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        return "is not a valid URL"
    if _URL_UNSAFE.search(url):
        return "must not contain whitespace or control characters"
    scheme = parts.scheme.lower()
    if not host or scheme not in {"http", "https"}:
        return "must be an http(s) URL with a host"
    if scheme == "http" and not is_loopback(host):
        return "plain http is only allowed to loopback hosts; use https"
    return None


def check_safe_url(field: str, url: object) -> str:
    """``url`` without trailing slashes, if it is a safe absolute http(s) URL to call.

    ``plain_http_refusal``'s rule (https, or plain http to a loopback host; no
    whitespace or control characters, a valid port), and no credentials, query or
    fragment. The URL is never quoted in the error: it may hold a secret.
    """
    if not isinstance(url, str):
        raise InvalidRequestError(field, "must be a string")
    refusal = plain_http_refusal(url)
    if refusal is not None:
        raise InvalidRequestError(field, refusal)
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise InvalidRequestError(field, "must not contain credentials")
    if parts.query or parts.fragment:
        raise InvalidRequestError(field, "must not contain a query or fragment")
    return url.rstrip("/")


def resolve_base_url(base_url: str | None) -> str:
    """The base URL to use (argument, else ``MUBERT_BASE_URL``, else production).

    Checked by ``check_safe_url``: https, or plain http to a loopback host for local
    simulators; a port outside 0-65535, whitespace or control characters are refused.
    """
    url = base_url if base_url is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    return check_safe_url("base_url", url)
