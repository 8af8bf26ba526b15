"""Public tracks: create, record, stored, get, list, similar, edit."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..transport._base import Response
from ._http import api_error, json_response, track_not_found
from ._model import Track
from ._paging import listing_input, page, sort_tracks
from ._router import Call, Routes
from ._spec import BITRATES, FORMATS, INSTRUMENTS, INTENSITIES, KEYS, MODES, STEMS
from ._validation import Errors, Field, enum, enum_list, image, integer, label, string, validate

__all__ = ["routes"]

routes = Routes()

_DURATION = integer("duration", required=True, minimum=5)
_OPTIONS = (
    enum("bitrate", BITRATES),
    enum("format", FORMATS),
    enum("intensity", INTENSITIES),
    enum("mode", MODES),
)
_PLAYLIST_INDEX = string("playlist_index", maximum=10)
_CREATE = (
    _DURATION,
    _PLAYLIST_INDEX,
    string("prompt", maximum=255),
    image("image", min_kb=50, max_kb=10 * 1024),
    *_OPTIONS,
    integer("bpm", minimum=1, maximum=500),
    enum("key", KEYS),
)
_STORED = (_DURATION, _PLAYLIST_INDEX, integer("stream_id", minimum=1), *_OPTIONS)
_SIMILAR = (_DURATION, *_OPTIONS)
_EDIT = (
    integer("duration", minimum=5),
    *_OPTIONS[:3],
    enum_list("replace_stems", STEMS),
    enum_list("delete_stems", STEMS),
    enum_list("replace_instruments", INSTRUMENTS),
    enum_list("delete_instruments", INSTRUMENTS),
)
_SOURCES = {"playlist_index": "track", "prompt": "ttm", "image": "itm"}
_OPTION_NAMES = ("bitrate", "format", "intensity", "mode")


def _exactly_one(data: Mapping[str, Any], names: Sequence[str], errors: Errors) -> str | None:
    """The one of ``names`` present in ``data``; a validation error for none or several."""
    present = [name for name in names if data.get(name) is not None]
    if len(present) == 1:
        return present[0]
    if not present:
        for name in names:
            others = [label(n) for n in names if n != name]
            when = (
                f"none of {' / '.join(others)} are present"
                if len(others) > 1
                else f"{others[0]} is not present"
            )
            errors.add(name, f"The {label(name)} field is required when {when}.")
    else:
        extra = " / ".join(label(n) for n in present[1:])
        errors.add(
            present[0], f"The {label(present[0])} field prohibits {extra} from being present."
        )
    return None


def _params(
    call: Call, data: Mapping[str, Any], base: Mapping[str, Any], operation: str
) -> dict[str, Any]:
    """The generation's resolved fields: request values over ``base`` over license defaults."""
    lic = call.engine.license
    return {
        "operation": operation,
        "bitrate": lic.default_bitrate,
        "format": lic.default_format,
        "intensity": lic.default_intensity,
        "mode": lic.default_mode,
        **base,
        **{name: data[name] for name in (*_OPTION_NAMES, "duration") if name in data},
    }


def _generate(
    call: Call,
    params: Mapping[str, Any],
    track: Callable[[], Track],
    *,
    creates: bool = True,
    instant: bool = False,
) -> Response:
    """Admit (quotas, concurrency), make or update the track, start its generation."""
    engine, customer = call.engine, call.me
    engine.admit(customer, params["duration"], concurrent=not instant)
    made = track()
    engine.start_generation(customer, made, call.now, params, instant=instant)
    if creates:
        engine.stats.creates += 1
    return _show(call, made)


def _new_track(
    call: Call, params: Mapping[str, Any], source: str, **fields: Any
) -> Callable[[], Track]:
    """Make the customer's new track from the resolved ``params`` (once admitted)."""
    return lambda: call.engine.new_track(
        call.me,
        call.now,
        source=source,
        duration=params["duration"],
        intensity=params["intensity"],
        mode=params["mode"],
        **fields,
    )


def _own(call: Call, track: Track | None, ref: str) -> Track:
    if track is None or track.customer_id != call.me.id:
        raise track_not_found(ref)
    return track


def _by_id(call: Call) -> Track:
    ref = call.path["track"]
    return _own(call, call.engine.tracks.get(ref), ref)


def _show(call: Call, track: Track) -> Response:
    return json_response({"data": call.engine.render_track(track, call.now)})


def _create(call: Call, operation: str) -> Response:
    engine = call.engine
    errors = Errors()
    data = validate(call.input, _CREATE, errors)
    source = _exactly_one(call.input, tuple(_SOURCES), errors)
    if source is not None and source != "playlist_index":
        for name in ("bpm", "key"):
            if call.input.get(name) is not None:
                errors.add(name, f"The {name} field is prohibited when {label(source)} is present.")
    errors.raise_if_any()
    assert source is not None
    engine.require_feature(_SOURCES[source])
    engine.require_allowed(data)
    fields = {name: data.get(name) for name in ("playlist_index", "prompt", "bpm", "key")}
    params = _params(call, data, fields, operation)
    return _generate(call, params, _new_track(call, params, _SOURCES[source], **fields))


@routes.get("/public/tracks", auth="public")
def list_tracks(call: Call) -> Response:
    """GET /public/tracks: the customer's tracks, newest first unless ordered otherwise."""
    data = listing_input(call.input)
    items, meta = page(sort_tracks(call.me.tracks, data), data)
    engine = call.engine
    body = [engine.render_track(t, call.now, urls=False) for t in items]
    return json_response({"data": body, "meta": meta})


@routes.post("/public/tracks", auth="public")
def create_track(call: Call) -> Response:
    """POST /public/tracks (JSON, or multipart with an image): a processing track."""
    return _create(call, "create")


@routes.post("/public/tracks/record", auth="public")
def record_track(call: Call) -> Response:
    """POST /public/tracks/record: like create, bypassing the track store."""
    return _create(call, "record")


@routes.post("/public/tracks/stored", auth="public")
def stored_track(call: Call) -> Response:
    """POST /public/tracks/stored: a pre-generated track, already done."""
    engine = call.engine
    errors = Errors()
    data = validate(call.input, _STORED, errors)
    _exactly_one(call.input, ("playlist_index", "stream_id"), errors)
    errors.raise_if_any()
    if not engine.track_store_enabled:
        raise api_error(
            "LicenseForbiddenFeature", description="The track store is not enabled for the license"
        )
    engine.require_feature("track")
    engine.require_allowed(data)
    fields = {"playlist_index": data.get("playlist_index")}
    params = _params(call, data, fields, "stored")
    return _generate(call, params, _new_track(call, params, "track", **fields), instant=True)


@routes.get("/public/tracks/session/{session_id}", auth="public")
def get_track_by_session(call: Call) -> Response:
    """GET /public/tracks/session/{session_id}."""
    ref = call.path["session_id"]
    return _show(call, _own(call, call.engine.by_session.get(ref), ref))


@routes.get("/public/tracks/{track}", auth="public")
def get_track(call: Call) -> Response:
    """GET /public/tracks/{track}: the track with its generations and their urls."""
    call.engine.stats.polls += 1
    return _show(call, _by_id(call))


def _derive(call: Call, fields: Sequence[Field]) -> tuple[Track, dict[str, Any]]:
    """The track the path names and the request's ``fields``, allowed by the license."""
    track = _by_id(call)
    data = validate(call.input, fields)
    call.engine.require_feature(track.source)
    call.engine.require_allowed(data)
    return track, data


def _inherited(track: Track) -> dict[str, Any]:
    newest = track.generations[-1] if track.generations else None
    base: dict[str, Any] = {"intensity": track.intensity, "mode": track.mode}
    if newest is not None:
        base.update(format=newest.format, bitrate=newest.bitrate)
    return base


@routes.post("/public/tracks/{track}/similar", auth="public")
def similar_track(call: Call) -> Response:
    """POST /public/tracks/{track}/similar: a new track whose parent is the given one."""
    source, data = _derive(call, _SIMILAR)
    fields = {
        "playlist_index": source.playlist_index,
        "prompt": source.prompt,
        "bpm": source.bpm,
        "key": source.key,
    }
    params = _params(call, data, {**_inherited(source), **fields}, "similar")
    child = _new_track(call, params, source.source, parent_session_id=source.session_id, **fields)
    return _generate(call, params, child)


@routes.post("/public/tracks/{track}/edit", auth="public", body_required=True)
def edit_track(call: Call) -> Response:
    """POST /public/tracks/{track}/edit: a new generation (last) of the same track."""
    track, data = _derive(call, _EDIT)
    params = _params(call, data, {**_inherited(track), "duration": track.duration}, "edit")

    def update() -> Track:
        track.duration = params["duration"]
        track.intensity = params["intensity"]
        return track

    return _generate(call, params, update, creates=False)
