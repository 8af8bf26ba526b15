"""Generation files under ``files_base_url``: audio bytes until the URL expires, S3-like errors."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from ..transport._base import Response
from ._audio import CONTENT_TYPES, audio
from ._catalog import library
from ._clock import rfc3339
from ._engine import Engine

__all__ = ["serve_file"]

_PATH = re.compile(r"(?P<track>[^/]+)/(?P<session>[^/.]+)\.(?P<format>mp3|wav)")


def _s3_error(status: int, code: str, message: str, **details: str) -> Response:
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in details.items())
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{extra}</Error>"
    ).encode()
    headers = {"content-type": "application/xml", "content-length": str(len(content))}
    return Response(status=status, headers=headers, content=content)


def serve_file(engine: Engine, method: str, key: str, now: float) -> Response:
    """Answer GET/HEAD for ``key`` (``{track id}/{generation session id}.{format}``)."""
    if method.upper() not in ("GET", "HEAD"):
        return _s3_error(405, "MethodNotAllowed", "The specified method is not allowed.")
    match = _PATH.fullmatch(key)
    track = generation = None
    if match is not None:
        track = engine.tracks.get(match["track"]) or library().by_id.get(match["track"])
    if track is not None and match is not None:
        generation = next(
            (
                g
                for g in track.generations
                if g.session_id == match["session"] and g.format == match["format"]
            ),
            None,
        )
    if track is None or generation is None or generation.status(now) != "done":
        return _s3_error(404, "NoSuchKey", "The specified key does not exist.", Key=key)
    expires = generation.expires
    if expires is not None and now >= expires:
        return _s3_error(
            403,
            "AccessDenied",
            "Request has expired",
            Expires=rfc3339(expires),
            ServerTime=rfc3339(now),
        )
    content = audio(
        generation.format,
        generation.duration,
        bitrate=generation.bitrate,
        bpm=track.bpm,
        key=track.key,
        intensity=track.intensity,
        seed=track.id,
    )
    headers = {
        "content-type": CONTENT_TYPES[generation.format],
        "content-length": str(len(content)),
        "accept-ranges": "bytes",
    }
    return Response(
        status=200, headers=headers, content=b"" if method.upper() == "HEAD" else content
    )
