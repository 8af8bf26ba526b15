"""Tracks, their generations, and what is asked for and returned when generating them."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from enum import Enum
from html import escape
from typing import IO, Any, TypedDict, Union

import msgspec

from .. import _validation as check
from .._enums import Format, GenerationStatus, Intensity, Mode
from .._errors_base import InvalidRequestError, MubertError

__all__ = [
    "CreateFields",
    "Generation",
    "GenerationResult",
    "ImageInput",
    "Track",
    "TrackRequest",
]

ImageInput = Union[bytes, bytearray, memoryview, str, "os.PathLike[str]", IO[bytes]]
"""An image for image-to-music: its bytes, a path to it, or a binary file object."""

_INTENSITY_BY_LEVEL = {1: "low", 2: "medium", 3: "high"}


class _RequiredCreateFields(TypedDict):
    duration: int


class CreateFields(_RequiredCreateFields, total=False):
    """The keyword arguments of ``tracks.create``, ``record`` and ``generate``: a ``TrackRequest``.

    For type checkers and IDEs (``**fields: Unpack[CreateFields]``); a test pins its
    keys and types to ``TrackRequest``'s fields, and ``tracks.create``'s runtime
    signature is made from ``TrackRequest``.
    """

    playlist_index: str | None
    prompt: str | None
    image: ImageInput | None
    bitrate: int | None
    format: Format | str | None
    intensity: Intensity | str | None
    mode: Mode | str | None
    bpm: int | None
    key: str | None


class Generation(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One rendering of a track in a given format and bitrate.

    ``status`` and ``format`` hold the API's strings, which compare equal to the
    enum members (``generation.status == GenerationStatus.DONE``); a value a newer
    server adds is kept as is. ``url`` is set once the generation is ``done`` and
    stays valid until ``expired_at``.
    """

    status: str
    session_id: str | None = None
    format: str | None = None
    bitrate: int | None = None
    url: str | None = None
    created_at: datetime | None = None
    generated_at: datetime | None = None
    expired_at: datetime | None = None


def as_aware(moment: datetime) -> datetime:
    """``moment`` with a timezone: one sent without an offset is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _newest(generations: tuple[Generation, ...]) -> Generation | None:
    newest: Generation | None = None
    for generation in generations:
        if (
            newest is None
            or newest.created_at is None
            or generation.created_at is None
            # A server may mix "...Z" and offset-less timestamps; naive and aware
            # datetimes cannot be compared directly.
            or as_aware(generation.created_at) >= as_aware(newest.created_at)
        ):
            newest = generation
    return newest


class Track(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """A generated (or library) track with every generation made of it.

    ``intensity``, ``mode`` and ``format`` hold the API's strings, which compare
    equal to the enum members (``track.mode == Mode.LOOP``); values a newer server
    adds are kept as is. ``intensity`` sent as a level 1-3 (as some servers do) is
    turned into its name. ``status`` and ``url`` describe the newest generation.
    """

    id: str
    session_id: str | None = None
    parent_session_id: str | None = None
    playlist_index: str | None = None
    prompt: str | None = None
    duration: int | None = None
    intensity: str | int | None = None
    mode: str | None = None
    key: str | None = None
    bpm: int | None = None
    format: str | None = None
    bitrate: int | None = None
    created_at: datetime | None = None
    generations: tuple[Generation, ...] | None = ()

    def __post_init__(self) -> None:
        # Runs once per decoded track: keep the common case to two type checks.
        if self.generations is None:
            msgspec.structs.force_setattr(self, "generations", ())
        if type(self.intensity) is int:
            level = _INTENSITY_BY_LEVEL.get(self.intensity, self.intensity)
            msgspec.structs.force_setattr(self, "intensity", level)

    @property
    def generation(self) -> Generation | None:
        """The newest generation, or None when there is none yet."""
        return _newest(self.generations or ())

    @property
    def status(self) -> str | None:
        """Status of the newest generation (a ``GenerationStatus`` member when known)."""
        newest = self.generation
        return newest.status if newest is not None else None

    @property
    def url(self) -> str | None:
        """Download URL of the newest ``done`` generation, or None."""
        done = tuple(g for g in self.generations or () if g.status == GenerationStatus.DONE)
        newest = _newest(done)
        return newest.url if newest is not None else None

    def _repr_html_(self) -> str:
        return _track_html(self)


class _TrackRequestBase(msgspec.Struct, frozen=True):
    duration: int


class TrackRequest(_TrackRequestBase, kw_only=True, frozen=True):
    """What to generate: a duration plus exactly one of a playlist, a prompt or an image.

    Validated when it is made, so an invalid request never reaches the API:
    ``bpm`` and ``key`` only go with ``playlist_index``; enum fields accept the enum
    members or their string (or, for bitrate, integer) values.
    """

    playlist_index: str | None = None
    prompt: str | None = None
    image: ImageInput | None = None
    bitrate: int | None = None
    format: Format | str | None = None
    intensity: Intensity | str | None = None
    mode: Mode | str | None = None
    bpm: int | None = None
    key: str | None = None

    def __post_init__(self) -> None:
        check.check_int(
            "duration", self.duration, minimum=check.MIN_DURATION, maximum=check.MAX_DURATION
        )
        sources = [
            name
            for name in ("playlist_index", "prompt", "image")
            if getattr(self, name) is not None
        ]
        if len(sources) != 1:
            raise InvalidRequestError(
                "playlist_index/prompt/image",
                f"exactly one must be given, got {len(sources)}"
                + (f" ({', '.join(sources)})" if sources else ""),
            )
        if self.playlist_index is not None:
            check.check_playlist_index(self.playlist_index)
        if self.prompt is not None:
            check.check_text("prompt", self.prompt, max_length=255)
        if (
            self.image is not None
            and not isinstance(self.image, (bytes, bytearray, memoryview, str, os.PathLike))
            and not hasattr(self.image, "read")
        ):
            raise InvalidRequestError("image", "must be bytes, a path or a binary file object")
        for name in ("bpm", "key"):
            if getattr(self, name) is not None and self.playlist_index is None:
                raise InvalidRequestError(name, "is only allowed together with playlist_index")
        if self.bpm is not None:
            check.check_int("bpm", self.bpm, minimum=1, maximum=500)
        for name in ("bitrate", "format", "intensity", "mode", "key"):
            if getattr(self, name) is not None:
                check.check_choice(name, getattr(self, name))

    def fields(self) -> dict[str, Any]:
        """The request's fields as the API's JSON expects them, unset ones left out."""
        out: dict[str, Any] = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is None or name == "image":
                continue
            # Any enum, not only ours: a user's own enum whose values the checks accepted
            # must still go out as its value ("wav"), in JSON and in multipart fields.
            out[name] = value.value if isinstance(value, Enum) else value
        return out

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={'<image>' if name == 'image' else repr(getattr(self, name))}"
            for name in self.__struct_fields__
            if getattr(self, name) is not None
        )
        return f"TrackRequest({shown})"


class GenerationResult(msgspec.Struct, kw_only=True, frozen=True):
    """The outcome of one request of ``generate_many``.

    ``index`` is the request's position in the input; exactly one of ``track``
    (the finished track) and ``error`` (why it did not finish) is set. ``request``
    is the request as a ``TrackRequest`` (None when the input item was not a valid
    request: then ``error`` is an ``InvalidRequestError``); ``item`` is the input
    item exactly as it was given (a ``TrackRequest``, a dict, or anything else).
    """

    index: int
    request: TrackRequest | None
    item: Any = None
    track: Track | None = None
    error: MubertError | None = None

    @property
    def ok(self) -> bool:
        """True when the track finished."""
        return self.error is None and self.track is not None

    def _repr_html_(self) -> str:
        if self.track is not None:
            return self.track._repr_html_()
        return (
            f"<div class='mubert-result'><strong>Request {self.index} failed</strong>: "
            f"{escape(type(self.error).__name__)}: {escape(str(self.error))}</div>"
        )


def _track_html(track: Track) -> str:
    """A small card with the track's key facts and, once done, an audio player."""
    facts = [
        ("status", track.status),
        ("duration", f"{track.duration} s" if track.duration is not None else None),
        ("playlist", track.playlist_index),
        ("prompt", track.prompt),
        ("mode", track.mode),
        ("intensity", track.intensity),
        ("bpm", track.bpm),
        ("key", track.key),
    ]
    rows = "".join(
        f"<tr><th style='text-align:left'>{name}</th><td>{escape(str(value))}</td></tr>"
        for name, value in facts
        if value is not None
    )
    player = (
        f"<audio controls preload='none' src='{escape(track.url, quote=True)}'></audio>"
        if track.url
        else ""
    )
    return (
        f"<div class='mubert-track'><strong>Track {escape(track.id)}</strong>"
        f"<table>{rows}</table>{player}</div>"
    )
