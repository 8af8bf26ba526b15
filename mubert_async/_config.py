"""Where the API is, who is calling it, and how those settings are checked."""

from __future__ import annotations

import ipaddress
import os
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
    "check_http_url",
    "is_loopback_host",
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
    for header, value in ((scheme.id_header, id_value), (scheme.token_header, token_value)):
        if any(c in value for c in "\r\n\x00"):
            raise InvalidRequestError(header, "must not contain line breaks or NUL")
    return Credentials(scheme.id_header, id_value.strip(), scheme.token_header, token_value.strip())


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` is ``localhost`` (or a name under it) or a loopback IP address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_http_url(field: str, url: object) -> str:
    """``url`` without trailing slashes, if it is a safe absolute http(s) URL to call.

    Only https is accepted, except plain http to a loopback host (127.0.0.0/8, ::1,
    localhost); no credentials, query, fragment, whitespace or control characters
    (``urlsplit`` silently drops CR, LF and tab, so they are looked for first).
    """
    if not isinstance(url, str):
        raise InvalidRequestError(field, "must be a string")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise InvalidRequestError(field, "must not contain whitespace or control characters")
    try:  # urlsplit raises ValueError for e.g. "http://[" or a netloc NFKC turns into "#"
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host = ""
    if not host or parts.scheme not in {"http", "https"}:
        raise InvalidRequestError(field, f"must be an http(s) URL with a host, got {url!r}")
    if parts.username or parts.password:
        raise InvalidRequestError(field, "must not contain credentials")
    if parts.query or parts.fragment:
        raise InvalidRequestError(field, "must not contain a query or fragment")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise InvalidRequestError(field, "plain http is only allowed to loopback hosts; use https")
    return url.rstrip("/")


def resolve_base_url(base_url: str | None) -> str:
    """The base URL to use (argument, else ``MUBERT_BASE_URL``, else production).

    Checked by ``check_http_url``: https, or plain http to a loopback host for local
    simulators.
    """
    url = base_url if base_url is not None else os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL
    return check_http_url("base_url", url)
