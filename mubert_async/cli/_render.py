"""How models look in text mode: table rows and ``name: value`` blocks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..models import Customer, Generation, License, Playlist, Track
from ..models._service import _Limits
from ._output import Output

__all__ = [
    "show_customer",
    "show_customers",
    "show_license",
    "show_licenses",
    "show_playlists",
    "show_track",
    "show_tracks",
    "timestamp",
]

_PROMPT_WIDTH = 40


def timestamp(moment: datetime | None) -> str | None:
    """``moment`` as ``YYYY-MM-DD HH:MM:SSZ`` in UTC (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _short(text: str, width: int = _PROMPT_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _source(track: Track) -> str:
    if track.prompt:
        return f"prompt: {_short(track.prompt)}"
    if track.playlist_index:
        return f"playlist {track.playlist_index}"
    return "-"


def _audio(generation: Generation | None) -> str | None:
    if generation is None:
        return None
    parts = [generation.format or "?"]
    if generation.bitrate:
        parts.append(f"{generation.bitrate} kbps")
    return " ".join(parts)


TRACK_HEADERS = ("ID", "STATUS", "CREATED", "DURATION", "AUDIO", "SOURCE")


def track_row(track: Track) -> Sequence[Any]:
    """One table row for ``track``."""
    duration = f"{track.duration} s" if track.duration is not None else None
    return (
        track.id,
        track.status,
        timestamp(track.created_at),
        duration,
        _audio(track.generation),
        _source(track),
    )


def show_tracks(out: Output, tracks: Iterable[Track]) -> None:
    """A table of tracks."""
    out.table(TRACK_HEADERS, (track_row(t) for t in tracks))


def show_track(out: Output, track: Track) -> None:
    """One track in detail, with its generations."""
    out.fields(
        [
            ("id", track.id),
            ("status", track.status),
            ("created", timestamp(track.created_at)),
            ("duration", f"{track.duration} s" if track.duration is not None else None),
            ("prompt", track.prompt),
            ("playlist", track.playlist_index),
            ("mode", track.mode),
            ("intensity", track.intensity),
            ("bpm", track.bpm),
            ("key", track.key),
            ("session", track.session_id),
            ("url", track.url),
        ]
    )
    generations = track.generations or ()
    if generations:
        out.line()
        out.table(
            ("GENERATION", "STATUS", "AUDIO", "CREATED", "EXPIRES"),
            (
                (
                    g.session_id,
                    g.status,
                    _audio(g),
                    timestamp(g.created_at),
                    timestamp(g.expired_at),
                )
                for g in generations
            ),
        )


def show_playlists(out: Output, playlists: Iterable[Playlist]) -> None:
    """A table of channels."""
    out.table(
        ("INDEX", "CATEGORY", "GROUP", "CHANNEL", "BPM"),
        ((p.playlist_index, p.category, p.group, p.channel, _bpm(p)) for p in playlists),
    )


def _bpm(playlist: Playlist) -> str | None:
    ranges = [
        f"{params.bpm.gt}-{params.bpm.lt}"
        for params in playlist.params or ()
        if params.bpm is not None and params.bpm.gt is not None and params.bpm.lt is not None
    ]
    return ", ".join(ranges) or None


def _limit(used: int, limit: int) -> str:
    return f"{used} of {'unlimited' if limit == -1 else limit}"


def _usage(limits: _Limits | None) -> list[tuple[str, Any]]:
    if limits is None:
        return []
    concurrency = limits.max_concurrent_track_generations
    return [
        ("concurrent generations", "unlimited" if concurrency == -1 else concurrency),
        ("tracks today", _limit(limits.daily_tracks_count, limits.daily_tracks_count_limit)),
        (
            "tracks this month",
            _limit(limits.monthly_tracks_count, limits.monthly_tracks_count_limit),
        ),
        ("tracks in total", _limit(limits.total_tracks_count, limits.total_tracks_count_limit)),
        (
            "track seconds in total",
            _limit(limits.total_tracks_duration, limits.total_tracks_duration_limit),
        ),
        (
            "streaming seconds in total",
            _limit(limits.total_streaming_duration, limits.total_streaming_duration_limit),
        ),
    ]


def show_customers(out: Output, customers: Iterable[Customer]) -> None:
    """A table of customers (never their tokens)."""
    out.table(
        ("ID", "CUSTOM ID", "STATUS", "ACCESS EXPIRES"),
        (
            (c.id, c.custom_id, c.status, timestamp(c.access.expired_at) if c.access else None)
            for c in customers
        ),
    )


def show_customer(out: Output, customer: Customer) -> None:
    """One customer in detail (never its token)."""
    access = customer.access
    out.fields(
        [
            ("id", customer.id),
            ("custom id", customer.custom_id),
            ("status", customer.status),
            ("company", customer.company_id),
            ("license", access.license_id if access else None),
            ("access expires", timestamp(access.expired_at) if access else None),
            *_usage(access.customer_limits if access else None),
        ]
    )


def show_licenses(out: Output, licenses: Iterable[License]) -> None:
    """A table of licenses."""
    out.table(
        ("ID", "TYPE", "STATUS", "EXPIRES", "WEBHOOK", "WEBHOOK URL"),
        (
            (
                lic.id,
                lic.type,
                lic.status,
                timestamp(lic.expired_at),
                lic.webhook_enabled,
                lic.webhook_url,
            )
            for lic in licenses
        ),
    )


def _allowed(allow_all: bool, values: Sequence[Any], default: Any = None) -> str:
    shown = "all" if allow_all else ", ".join(str(v) for v in values) or "none"
    return f"{shown} (default {default})" if default is not None else shown


def show_license(out: Output, lic: License) -> None:
    """One license in detail: what it allows and how much of it is used."""
    limits = lic.license_limits
    customers = (
        [("customers", _limit(limits.customers_count, limits.customers_count_limit))]
        if limits is not None
        else []
    )
    out.fields(
        [
            ("id", lic.id),
            ("company", lic.company_id),
            ("type", lic.type),
            ("status", lic.status),
            ("expires", timestamp(lic.expired_at)),
            ("webhook url", lic.webhook_url or "-"),
            ("webhook enabled", lic.webhook_enabled),
            ("features", _allowed(lic.allow_all_features, lic.features)),
            ("formats", _allowed(lic.allow_all_formats, lic.track_formats, lic.default_format)),
            ("bitrates", _allowed(lic.allow_all_bitrates, lic.bitrates, lic.default_bitrate)),
            (
                "intensities",
                _allowed(lic.allow_all_intensities, lic.intensities, lic.default_intensity),
            ),
            ("modes", _allowed(lic.allow_all_modes, lic.track_modes, lic.default_mode)),
            (
                "track link lifetime",
                f"{lic.track_expiration_time} s" if lic.track_expiration_time else None,
            ),
            *customers,
            *_usage(limits),
        ]
    )
