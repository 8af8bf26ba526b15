"""The public surface keeps its promised names and signatures, and every public name is documented."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import mubert_async
from mubert_async import MubertClient, MubertServiceClient, Track
from mubert_async.resources import Customers, Library, Licenses, Playlists, Streaming, Tracks
from mubert_async.transport import AiohttpTransport, MockTransport, Request, Response, Transport

API_MD_NAMES = {
    "MubertClient",
    "MubertServiceClient",
    "Track",
    "Generation",
    "TrackRequest",
    "GenerationResult",
    "Playlist",
    "License",
    "LicenseLimits",
    "Customer",
    "CustomerAccess",
    "CustomerLimits",
    "LibraryParam",
    "Page",
    "Intensity",
    "Mode",
    "Format",
    "GenerationStatus",
    "Stem",
    "Instrument",
    "MubertError",
    "InvalidRequestError",
    "TransportError",
    "RequestTimeout",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "APIError",
    "AuthenticationError",
    "PermissionDeniedError",
    "LicenseForbiddenError",
    "QuotaExceededError",
    "ConcurrencyLimitError",
    "NotFoundError",
    "ValidationError",
    "RateLimitError",
    "ServerError",
}


def test_exports() -> None:
    assert set(mubert_async.__all__) >= API_MD_NAMES
    for name in mubert_async.__all__:
        assert hasattr(mubert_async, name), name
    assert sorted(mubert_async.__all__) == sorted(set(mubert_async.__all__))


KW = inspect.Parameter.KEYWORD_ONLY
POS = inspect.Parameter.POSITIONAL_OR_KEYWORD

# (callable, [(name, kind, default)]): the promised signatures; "*" marks keyword-only.
SIGNATURES: list[tuple[Any, list[tuple[str, Any, Any]]]] = [
    (
        MubertClient.__init__,
        [
            ("customer_id", POS, None),
            ("access_token", POS, None),
            ("base_url", KW, None),
            ("transport", KW, None),
            ("timeout", KW, 30.0),
            ("max_retries", KW, 2),
            ("max_concurrent_generations", KW, None),
        ],
    ),
    (
        MubertServiceClient.__init__,
        [
            ("company_id", POS, None),
            ("license_token", POS, None),
            ("base_url", KW, None),
            ("transport", KW, None),
            ("timeout", KW, 30.0),
            ("max_retries", KW, 2),
        ],
    ),
    (MubertServiceClient.customer_client, [("customer", POS, inspect.Parameter.empty)]),
    (Playlists.list, []),
    (
        Streaming.get_link,
        [
            ("playlist_index", POS, inspect.Parameter.empty),
            ("bitrate", KW, None),
            ("intensity", KW, None),
            ("type", KW, None),
        ],
    ),
    (Streaming.set_loop, [("on", POS, inspect.Parameter.empty), ("time", KW, None)]),
    (Streaming.set_intensity, [("intensity", POS, inspect.Parameter.empty)]),
    (Streaming.restart, []),
    (
        Tracks.create,
        [("duration", KW, inspect.Parameter.empty)]
        + [
            (n, KW, None)
            for n in (
                "playlist_index",
                "prompt",
                "image",
                "bitrate",
                "format",
                "intensity",
                "mode",
                "bpm",
                "key",
            )
        ],
    ),
    (
        Tracks.record,
        [("duration", KW, inspect.Parameter.empty)]
        + [
            (n, KW, None)
            for n in (
                "playlist_index",
                "prompt",
                "image",
                "bitrate",
                "format",
                "intensity",
                "mode",
                "bpm",
                "key",
            )
        ],
    ),
    (
        Tracks.stored,
        [("duration", KW, inspect.Parameter.empty)]
        + [
            (n, KW, None)
            for n in ("playlist_index", "stream_id", "bitrate", "format", "intensity", "mode")
        ],
    ),
    (Tracks.get, [("track_id", POS, inspect.Parameter.empty)]),
    (Tracks.get_by_session, [("session_id", POS, inspect.Parameter.empty)]),
    (
        Tracks.list,
        [("offset", KW, 0), ("limit", KW, 25), ("order", KW, None), ("order_by", KW, None)],
    ),
    (Tracks.iter, [("page_size", KW, 100), ("order", KW, None), ("order_by", KW, None)]),
    (
        Tracks.similar,
        [("track_id", POS, inspect.Parameter.empty), ("duration", KW, inspect.Parameter.empty)]
        + [(n, KW, None) for n in ("bitrate", "format", "intensity", "mode")],
    ),
    (
        Tracks.edit,
        [("track_id", POS, inspect.Parameter.empty)]
        + [
            (n, KW, None)
            for n in (
                "duration",
                "bitrate",
                "format",
                "intensity",
                "replace_stems",
                "delete_stems",
                "replace_instruments",
                "delete_instruments",
            )
        ],
    ),
    (Library.tracks, [("offset", KW, 0), ("limit", KW, 25)]),
    (Library.iter_tracks, [("page_size", KW, 100)]),
    (Licenses.list, []),
    (Licenses.get, [("license_id", POS, inspect.Parameter.empty)]),
    (Customers.create, [("custom_id", POS, inspect.Parameter.empty)]),
    (Customers.list, [("offset", KW, 0), ("limit", KW, 25)]),
    (Customers.iter, [("page_size", KW, 100)]),
    (Customers.get, [("customer_id", POS, inspect.Parameter.empty)]),
    (Customers.get_by_custom_id, [("custom_id", POS, inspect.Parameter.empty)]),
    (
        Customers.update,
        [("customer_id", POS, inspect.Parameter.empty), ("custom_id", KW, inspect.Parameter.empty)],
    ),
    (Customers.delete, [("customer_id", POS, inspect.Parameter.empty)]),
    (Tracks.wait, [("track", POS, inspect.Parameter.empty), ("timeout", KW, None)]),
    (Tracks.generate, [("timeout", KW, None)]),
    (
        Tracks.generate_many,
        [
            ("requests", POS, inspect.Parameter.empty),
            ("concurrency", KW, None),
            ("ordered", KW, False),
            ("timeout", KW, None),
        ],
    ),
    (
        Tracks.download,
        [
            ("track", POS, inspect.Parameter.empty),
            ("dest", POS, inspect.Parameter.empty),
            ("format", KW, None),
            ("bitrate", KW, None),
        ],
    ),
]


@pytest.mark.parametrize(
    ("func", "expected"), SIGNATURES, ids=[f.__qualname__ for f, _ in SIGNATURES]
)
def test_signature_matches_api_md(func: Any, expected: list[tuple[str, Any, Any]]) -> None:
    params = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    got = [(p.name, p.kind, p.default) for p in params][: len(expected)]
    assert got == expected


def test_generate_takes_the_create_fields() -> None:
    assert any(
        p.kind is p.VAR_KEYWORD for p in inspect.signature(Tracks.generate).parameters.values()
    )


def test_library_filters_are_keyword_arguments() -> None:
    for func in (Library.params, Library.tracks, Library.iter_tracks):
        assert any(p.kind is p.VAR_KEYWORD for p in inspect.signature(func).parameters.values())


def test_track_request_signature() -> None:
    params = list(inspect.signature(mubert_async.TrackRequest).parameters.values())
    assert (params[0].name, params[0].kind) == ("duration", POS)
    assert [(p.name, p.kind, p.default) for p in params[1:]] == [
        (n, KW, None)
        for n in (
            "playlist_index",
            "prompt",
            "image",
            "bitrate",
            "format",
            "intensity",
            "mode",
            "bpm",
            "key",
        )
    ]


def test_transport_names() -> None:
    assert isinstance(AiohttpTransport(), Transport)
    assert isinstance(MockTransport(lambda r: Response(200, {}, b"")), Transport)
    assert "session" in inspect.signature(AiohttpTransport).parameters
    assert Request("GET", "https://x").follow_redirects is False


def _public_objects() -> list[tuple[str, Any]]:
    found = []
    for module in (mubert_async, mubert_async.transport, mubert_async.testing):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.append((f"{module.__name__}.{name}", obj))
                for attr, member in vars(obj).items() if inspect.isclass(obj) else ():
                    if not attr.startswith("_") and (
                        inspect.isfunction(member) or isinstance(member, property)
                    ):
                        found.append((f"{module.__name__}.{name}.{attr}", member))
    return found


def test_every_public_name_has_a_docstring() -> None:
    import mubert_async.resources as resources

    objects = _public_objects()
    for name in resources.__all__:
        cls = getattr(resources, name)
        objects += [
            (f"{name}.{a}", m)
            for a, m in vars(cls).items()
            if not a.startswith("_") and inspect.isfunction(m)
        ]
    missing = [name for name, obj in objects if not (getattr(obj, "__doc__", None) or "").strip()]
    assert missing == []


def test_track_renders_in_jupyter() -> None:
    track = Track(id="t<1>", duration=60, prompt="<b>piano</b>", generations=())
    html = track._repr_html_()
    assert "t&lt;1&gt;" in html and "&lt;b&gt;piano" in html and "<audio" not in html
    done = mubert_async.Generation(status="done", url="https://x/a.mp3?sig='1'")
    html = Track(id="t2", generations=(done,))._repr_html_()
    assert "<audio controls" in html and "sig=&#x27;1&#x27;" in html
    request = mubert_async.TrackRequest(30, prompt="x")
    ok = mubert_async.GenerationResult(
        index=0, request=request, track=Track(id="t3", generations=(done,))
    )
    assert "<audio controls" in ok._repr_html_()
    failed = mubert_async.GenerationResult(
        index=4, request=request, error=mubert_async.GenerationFailedError("boom <x>")
    )
    assert "Request 4 failed" in failed._repr_html_() and "boom &lt;x&gt;" in failed._repr_html_()
