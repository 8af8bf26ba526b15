"""The defects the properties found, each pinned by the smallest example that showed it.

Property 1 (decoding) found 1, 2, 9 and 10; property 2 (input) found 4-8, 11 and 12;
3 turned up while fixing 2. Each test failed before its fix.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import msgspec
import pytest
from prop_harness import ACCESS_TOKEN, Wire, wire

from mubert_async import Customer, MubertClient, Page, Track, TrackRequest
from mubert_async.errors import InvalidRequestError, TransportError, _error_from_response
from mubert_async.models._decoding import ResponseDecoder

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def bench() -> Wire:
    return wire()


# -- 1-3: response bodies --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b'{"data":{"id":"t\xff"}}',  # invalid UTF-8 in a string: UnicodeDecodeError
        b'{"data":' + b"[" * 5000 + b"]" * 5000 + b"}",  # RecursionError
        b'{"id":"t","x":' + b"[" * 5000 + b"]" * 5000 + b"}",  # skipped, still too deep
        b'{"data": 5, "x": [',  # only the second pass meets the cut: msgspec.DecodeError
    ],
    ids=["invalid-utf8", "deep-data", "deep-extra", "cut-after-a-wrong-type"],
)
def test_1_a_malformed_body_is_a_transport_error(content: bytes) -> None:
    with pytest.raises(TransportError):
        ResponseDecoder(Track).decode(content)
    with pytest.raises(TransportError):
        ResponseDecoder(Page[Track], wrapped=False).decode(content)


@pytest.mark.parametrize(
    "content",
    [
        b'{"message":"\xff"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"errors":' * 900 + b"1" + b"}" * 900,  # decodes, but too deep to walk
    ],
    ids=["invalid-utf8", "deeper-than-msgspec", "deeper-than-python"],
)
def test_2_a_malformed_error_body_still_gives_the_status_error(content: bytes) -> None:
    error = _error_from_response(422, {}, content, secrets=(ACCESS_TOKEN,))
    assert error.status == 422
    assert isinstance(error.body, str)
    str(error), repr(error), error.errors  # type: ignore[attr-defined]


def test_3_a_text_error_body_is_scrubbed_before_it_is_cut_short() -> None:
    secret = "access-token-3d4e5f6a7b"
    content = b"x" * 495 + secret.encode() + b" and more"  # the cut at 500 splits the token
    error = _error_from_response(500, {}, content, secrets=(secret,))
    assert secret[:5] not in error.body, "a piece of the token survived the cut"
    assert error.body == "x" * 495 + "[REDACTED]"[:5]


# -- 4-8: user input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.tracks.create(duration=30, prompt="rain \ud800"),
        lambda c: c.tracks.get("track-\ud800"),
        lambda c: c.library.tracks(genres="\udfff"),
    ],
    ids=["json-body", "path", "query"],
)
def test_4_a_lone_surrogate_is_refused_before_sending(
    bench: Wire, call: Callable[[MubertClient], Coroutine[Any, Any, Any]]
) -> None:
    with pytest.raises(InvalidRequestError):
        _run(call(bench.client))
    assert bench.recorder.requests == []


@pytest.mark.parametrize("index", ["\u0661.\u0660", "\uff11", "1.\u0968"])
def test_5_a_playlist_index_of_non_ascii_digits_is_refused(bench: Wire, index: str) -> None:
    with pytest.raises(InvalidRequestError):
        _run(bench.client.streaming.get_link(index))
    with pytest.raises(InvalidRequestError):
        TrackRequest(30, playlist_index=index)
    assert bench.recorder.requests == []


@pytest.mark.parametrize("url", ["http://[", "http://[::1", "http://a\uff03b/"])
def test_6_a_webhook_url_urlsplit_rejects_is_refused(bench: Wire, url: str) -> None:
    with pytest.raises(InvalidRequestError):
        _run(bench.service.licenses.update("license-1", webhook_url=url))
    assert bench.recorder.requests == []


@pytest.mark.parametrize("path", ["image\x00.png", "image-\ud800.png"])
def test_7_an_image_path_the_os_cannot_take_is_refused(bench: Wire, path: str) -> None:
    with pytest.raises(InvalidRequestError):
        _run(bench.client.tracks.create(duration=30, image=path))
    assert bench.recorder.requests == []


class _MyFormat(enum.Enum):
    WAV = "wav"


class _MyBitrate(enum.IntEnum):
    HIGH = 320


def test_8_a_users_own_enum_is_sent_as_its_value(bench: Wire) -> None:
    # Not in the annotations (Format | str), but taken: its value is a valid format.
    _run(bench.client.tracks.create(duration=30, image=PNG, format=_MyFormat.WAV))  # type: ignore[arg-type]
    _run(bench.client.tracks.create(duration=30, prompt="p", bitrate=_MyBitrate.HIGH))
    form, json_body = bench.recorder.requests
    assert form.form is not None and form.form.fields["format"] == "wav"
    assert msgspec.json.decode(json_body.content or b"")["bitrate"] == 320


# -- 9-10: decoded models -----------------------------------------------------------------------


def test_9_a_track_mixing_naive_and_aware_timestamps_has_a_status() -> None:
    track = msgspec.json.decode(
        b'{"id":"t","generations":['
        b'{"status":"processing","created_at":"2024-01-01T00:00:00Z"},'
        b'{"status":"done","url":"u","created_at":"2024-01-01T00:00:01"}]}',
        type=Track,
    )
    assert track.status == "done" and track.url == "u"


@pytest.mark.parametrize("limit", [0, -5])
def test_10_a_customer_with_a_nonsense_limit_still_gets_a_client(bench: Wire, limit: int) -> None:
    customer = msgspec.json.decode(
        msgspec.json.encode(
            {
                "id": "c",
                "access": {
                    "token": "a-token-123",
                    "customer_limits": {"max_concurrent_track_generations": limit},
                },
            }
        ),
        type=Customer,
    )
    assert customer.max_concurrent_generations is None  # unknown: learned from the server
    assert bench.service.customer_client(customer).max_concurrent_generations is None


# -- 11-12: generate_many and download -----------------------------------------------------------


def test_11_generate_many_refuses_an_ordered_that_is_not_a_bool(bench: Wire) -> None:
    async def start() -> None:
        bench.client.tracks.generate_many([TrackRequest(30, prompt="p")], ordered=NotImplemented)

    with pytest.raises(InvalidRequestError):
        _run(start())
    assert bench.recorder.requests == []


def test_12_a_download_dest_the_os_cannot_encode_is_refused(bench: Wire, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError):
        _run(bench.client.tracks.download("t", str(tmp_path / "x-\ud800.mp3")))
    assert bench.recorder.requests == []
