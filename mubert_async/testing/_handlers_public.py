"""Public directory, apart from tracks: playlists, streaming, and the music library."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from ..transport._base import Response
from ._catalog import LIBRARY_PARAMS, library, playlists
from ._http import json_response, no_content
from ._paging import PAGE_FIELDS, SORT_FIELDS, page, sort_tracks
from ._router import Call, Routes
from ._spec import BITRATES, INTENSITIES, KEYS, LOOP_STATES, MODES, STREAMING_TYPES
from ._validation import Field, enum, integer, string, validate

__all__ = ["routes"]

routes = Routes()

_STREAM_LINK = "https://stream.mubert.com/b2b/v3"
_GET_LINK = (
    string("playlist_index", required=True, maximum=10),
    enum("bitrate", BITRATES),
    enum("intensity", INTENSITIES),
    enum("type", STREAMING_TYPES),
)
_SET_LOOP = (enum("loop", LOOP_STATES, required=True), integer("time", minimum=0))
_SET_INTENSITY = (enum("intensity", INTENSITIES, required=True),)
_LIBRARY_FILTERS = (
    integer("bpm", minimum=1, maximum=500),
    enum("key", KEYS),
    *(
        string(name, nullable=True)
        for name in ("genres", "moods", "activities", "playlists", "instruments", "themes")
    ),
    integer("duration", minimum=5),
    enum("mode", MODES),
)
_NUMERIC_PARAMS = {"bpm", "duration"}


@routes.get("/public/playlists", auth="public")
def list_playlists(call: Call) -> Response:
    """GET /public/playlists: the channels and their bpm/key parameters."""
    return json_response({"data": playlists()})


def _streaming(call: Call) -> None:
    call.engine.require_feature("streaming")


@routes.get("/public/streaming/get-link", auth="public")
def get_link(call: Call) -> Response:
    """GET /public/streaming/get-link?playlist_index=...: a stream URL for the customer."""
    data = validate(call.input, _GET_LINK)
    engine, customer = call.engine, call.me
    _streaming(call)
    engine.require_allowed(data)
    for usage in (engine.license.limits, customer.limits):
        error = usage.streaming_error()
        if error is not None:
            raise error
    query = {
        "customer_id": customer.id,
        "access_token": customer.access_token,
        "playlist": data["playlist_index"],
        "bitrate": data.get("bitrate", engine.license.default_bitrate),
        "intensity": data.get("intensity", engine.license.default_intensity),
    }
    return json_response({"data": {"link": f"{_STREAM_LINK}?{urlencode(query)}"}})


@routes.post("/public/streaming/set-loop-state", auth="public")
def set_loop_state(call: Call) -> Response:
    """POST /public/streaming/set-loop-state {loop, time}: 204."""
    validate(call.input, _SET_LOOP)
    _streaming(call)
    return no_content()


@routes.post("/public/streaming/set-intensity", auth="public")
def set_intensity(call: Call) -> Response:
    """POST /public/streaming/set-intensity {intensity}: 204."""
    data = validate(call.input, _SET_INTENSITY)
    _streaming(call)
    call.engine.require_allowed(data)
    return no_content()


@routes.post("/public/streaming/restart", auth="public")
def restart(call: Call) -> Response:
    """POST /public/streaming/restart: 204."""
    _streaming(call)
    return no_content()


def _library_filters(
    call: Call, extra: tuple[Field, ...] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    data = validate(call.input, (*_LIBRARY_FILTERS, *extra))
    call.engine.require_feature("music-library")
    filters = {name: value for name, value in data.items() if name in LIBRARY_PARAMS}
    return data, filters


@routes.get("/public/music-library/params", auth="public")
def library_params(call: Call) -> Response:
    """GET /public/music-library/params: each filter's values and track counts (bare list)."""
    _, filters = _library_filters(call)
    entries = library().filter(filters)
    body = []
    for param in LIBRARY_PARAMS:
        counts = Counter(value for entry in entries for value in entry.tags[param])
        values = sorted(counts, key=int if param in _NUMERIC_PARAMS else str)
        body.append(
            {"param": param, "values": [{"value": v, "tracks_count": counts[v]} for v in values]}
        )
    return json_response(body)


@routes.get("/public/music-library/tracks", auth="public")
def library_tracks(call: Call) -> Response:
    """GET /public/music-library/tracks: library tracks matching the filters, paginated."""
    data, filters = _library_filters(call, (*PAGE_FIELDS, *SORT_FIELDS))
    tracks = [entry.track for entry in library().filter(filters)]
    ordered = sort_tracks(tracks, {"order": "asc", **data})
    items, meta = page(ordered, data)
    engine = call.engine
    return json_response({"data": [engine.render_track(t, call.now) for t in items], "meta": meta})
