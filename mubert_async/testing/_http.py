"""Building responses: JSON, empty, and the API's error bodies (one table of codes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from ..transport._base import Response

__all__ = [
    "HttpError",
    "api_error",
    "json_response",
    "no_content",
    "not_found",
    "track_not_found",
    "validation_error",
]

_JSON = "application/json"

# code -> (HTTP status, message, whether the spec's body has a "description")
_CODES: Mapping[str, tuple[int, str, bool]] = {
    "Unauthenticated": (401, "Unauthenticated", True),
    "AccessTokenExpired": (403, "Access token is expired", False),
    "CustomerIsNotActive": (403, "Customer is not active", True),
    "LicenseIsNotActive": (403, "License is not active", True),
    "LicenseExpired": (403, "License is expired", False),
    "LicenseForbiddenBitrate": (
        403,
        "The license does not provide for the use of the specified bitrate",
        True,
    ),
    "LicenseForbiddenDuration": (
        403,
        "The license does not provide for the use of the specified duration",
        True,
    ),
    "LicenseForbiddenFeature": (
        403,
        "The license does not provide for the use of the specified feature",
        True,
    ),
    "LicenseForbiddenFormat": (
        403,
        "The license does not provide for the use of the specified format",
        True,
    ),
    "LicenseForbiddenIntensity": (
        403,
        "The license does not provide for the use of the specified intensity",
        True,
    ),
    "LicenseForbiddenMode": (
        403,
        "The license does not provide for the use of the specified mode",
        True,
    ),
    "LicenseLimitConcurrentTrackGenerationsCount": (
        403,
        "The limit of concurrent track generations has been exceeded",
        False,
    ),
    "LicenseLimitTracksCount": (403, "The limit of the number of tracks has been exceeded", False),
    "LicenseLimitTracksDuration": (403, "Track duration limit exceeded", False),
    "LicenseLimitStreamingDuration": (403, "Streaming duration limit exceeded", False),
    "LicenseLimitUsersCount": (403, "The limit of the number of users has been exceeded", False),
    "TrackNotFound": (404, "Track not found", False),
    "CustomerNotFound": (404, "Customer not found", True),
    "LicenseNotFound": (404, "License not found", True),
}


class HttpError(Exception):
    """An error answer raised inside a handler and turned into a ``Response`` by the router."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers
        super().__init__(status)

    def response(self) -> Response:
        """This error as a JSON response."""
        return json_response(self.body, self.status, self.headers)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with content-type and content-length set."""
    content = msgspec.json.encode(body)
    return Response(
        status=status,
        headers={"content-type": _JSON, "content-length": str(len(content)), **(headers or {})},
        content=content,
    )


def no_content() -> Response:
    """204 No Content."""
    return Response(status=204, headers={}, content=b"")


def api_error(
    code: str, *, message: str | None = None, description: str | None = None, **fields: Any
) -> HttpError:
    """The spec's error body for ``code``: message, [description], code-specific fields, code."""
    status, default_message, has_description = _CODES[code]
    body: dict[str, Any] = {"message": message or default_message}
    if has_description:
        body["description"] = description
    body.update(fields)
    body["code"] = code
    return HttpError(status, body)


def track_not_found(ref: str) -> HttpError:
    """404 TrackNotFound for a track id or session id."""
    return api_error("TrackNotFound", message=f"Track {ref} not found", session_id=ref)


def not_found() -> HttpError:
    """404 for a path the API does not have."""
    return HttpError(404, {"message": "Not found"})


def validation_error(errors: Mapping[str, list[str]]) -> HttpError:
    """422 in Laravel's shape: the first message (and how many more) plus every field's."""
    messages = [m for field_messages in errors.values() for m in field_messages]
    message = messages[0]
    if len(messages) > 1:
        more = len(messages) - 1
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return HttpError(422, {"message": message, "errors": dict(errors)})
