"""Property 2: any input is either sent as the OpenAPI document says, or refused before sending.

Every public method is called with generated arguments - plausible values mixed with
arbitrary Python values (``input_strategies``) for each declared parameter - against
a recording ``MockTransport`` that answers every request successfully. Then either

* the call succeeded, and every request it sent conforms to
  ``data/mubert-openapi-v3.json`` (``openapi.check_request``), carries the arguments
  as given (enum members as their values) and puts ids in one path segment each; or
* it raised ``InvalidRequestError`` and sent nothing.

No other exception may escape. (``wait``/``generate`` may also end in
``GenerationTimeoutError``/``GenerationFailedError`` after sending valid requests:
that is their outcome, not a refusal of the input.) ``TrackRequest(...)`` and the
items ``generate_many`` coerces (dicts) are covered the same way, and ``download``
writes the file inside the directory it was given, or refuses (see
``_download_case``).

Each test function is one hypothesis property of 800 examples (the ``ci`` profile);
an example draws a method and a seed, and the seed makes the arguments.
"""

from __future__ import annotations

import errno
import inspect
import os
import random
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from input_strategies import (
    VALID,
    Arg,
    Make,
    anything,
    arguments,
    image_files,
    text,
)
from openapi import OPERATIONS, check_request
from prop_harness import Run, Wire, done_answer, path_values, sent_fields

from mubert_async import GenerationResult, Track, TrackRequest
from mubert_async.errors import (
    GenerationFailedError,
    GenerationTimeoutError,
    InvalidRequestError,
    MubertError,
)
from mubert_async.transport import Request, Response

BASE = "https://music-api.mubert.com/api/v3"
_PLAYLIST_INDEX = re.compile(r"[0-9]+(?:\.[0-9]+){0,2}")
Call = Callable[[Wire, list[Any], dict[str, Any]], Any]


@pytest.fixture(scope="module", autouse=True)
def _no_poll_sleeps() -> Iterator[None]:
    """``wait`` polls a processing track after a delay: no real sleeping in examples."""

    async def no_sleep(seconds: float) -> None:
        return None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("mubert_async.generation._completion.sleep", no_sleep)
        yield


@pytest.fixture(scope="module")
def makers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Make]:
    """``VALID`` plus images (real files in a temporary directory) and the download directory."""
    downloads = tmp_path_factory.mktemp("downloads")  # every dest made is inside it
    return _Makers(
        {
            **VALID,
            "image": image_files(tmp_path_factory.mktemp("images")),
            "downloads": lambda rnd: downloads,
        }
    )


class _Makers(dict[str, Make]):
    def __repr__(self) -> str:  # shown in every falsifying example: keep it short
        return "makers"


# -- the methods ---------------------------------------------------------------------------

_SOURCES = ("playlist_index", "prompt", "image")
_TRACK_FIELDS = (
    Arg("playlist_index", "playlist_index"),
    Arg("prompt", "prompt"),
    Arg("image", "image"),
    Arg("bitrate", "bitrate"),
    Arg("format", "format"),
    Arg("intensity", "intensity"),
    Arg("mode", "mode"),
    Arg("bpm", "bpm"),
    Arg("key", "key"),
)
_CREATE = (Arg("duration", "duration", required=True), *_TRACK_FIELDS)
_OPTIONS = (
    Arg("bitrate", "bitrate"),
    Arg("format", "format"),
    Arg("intensity", "intensity"),
    Arg("mode", "mode"),
)
_LIBRARY = (
    *(
        Arg(name, kind, presence=0.2)
        for name, kind in (
            *((name, "text") for name in ("genres", "moods", "activities", "playlists")),
            *((name, "text") for name in ("instruments", "themes", "order_by")),
            ("bpm", "bpm"),
            ("duration", "duration"),
            ("key", "key"),
            ("mode", "mode"),
            ("order", "order"),
        )
    ),
    Arg("tempo", "text", presence=0.05),  # not a filter: always refused
)


@dataclass(frozen=True, repr=False)
class Method:
    """A public method, its declared parameters, and what an accepted call must send.

    ``echo`` names the arguments sent under their own name (or ``"arg:field"``) that
    must arrive as given; ``path_ids`` those sent as a path segment; ``outcomes`` the
    errors (besides InvalidRequestError) a valid call may still end in; ``sends`` is
    False when an accepted call may need no request at all.
    """

    name: str
    args: tuple[Arg, ...]
    call: Call
    echo: tuple[str, ...] = ()
    path_ids: tuple[str, ...] = ()
    outcomes: tuple[type[MubertError], ...] = ()
    sends: bool = True

    def __repr__(self) -> str:
        return self.name


def _m(name: str, args: tuple[Arg, ...], call: Call, **more: Any) -> Method:
    return Method(name, args, call, **more)


_TRACK_ECHO = (
    *("duration", "playlist_index", "prompt", "bitrate", "format", "intensity"),
    *("mode", "bpm", "key"),
)
GENERATION = [
    _m("tracks.create", _CREATE, lambda w, a, k: w.client.tracks.create(*a, **k), echo=_TRACK_ECHO),
    _m("tracks.record", _CREATE, lambda w, a, k: w.client.tracks.record(*a, **k), echo=_TRACK_ECHO),
    _m(
        "tracks.stored",
        (
            Arg("duration", "duration", required=True),
            Arg("playlist_index", "playlist_index"),
            Arg("stream_id", "stream_id"),
            *_OPTIONS,
        ),
        lambda w, a, k: w.client.tracks.stored(*a, **k),
        echo=("duration", "playlist_index", "stream_id", "bitrate", "format", "intensity", "mode"),
    ),
    _m(
        "tracks.similar",
        (
            Arg("track_id", "track_id", required=True, positional=True),
            Arg("duration", "duration", required=True),
            *_OPTIONS,
        ),
        lambda w, a, k: w.client.tracks.similar(*a, **k),
        echo=("duration", "bitrate", "format", "intensity", "mode"),
        path_ids=("track_id",),
    ),
    _m(
        "tracks.edit",
        (
            Arg("track_id", "track_id", required=True, positional=True),
            Arg("duration", "duration"),
            *_OPTIONS[:3],
            Arg("replace_stems", "stems"),
            Arg("delete_stems", "stems"),
            Arg("replace_instruments", "instruments"),
            Arg("delete_instruments", "instruments"),
        ),
        lambda w, a, k: w.client.tracks.edit(*a, **k),
        echo=(
            *("duration", "bitrate", "format", "intensity", "replace_stems", "delete_stems"),
            *("replace_instruments", "delete_instruments"),
        ),
        path_ids=("track_id",),
    ),
]
LOOKUP = [
    _m(
        "tracks.get",
        (Arg("track_id", "track_id", required=True, positional=True),),
        lambda w, a, k: w.client.tracks.get(*a, **k),
        path_ids=("track_id",),
    ),
    _m(
        "tracks.get_by_session",
        (Arg("session_id", "id", required=True, positional=True),),
        lambda w, a, k: w.client.tracks.get_by_session(*a, **k),
        path_ids=("session_id",),
    ),
    _m(
        "tracks.list",
        (
            Arg("offset", "offset"),
            Arg("limit", "limit"),
            Arg("order", "order"),
            Arg("order_by", "order_by"),
        ),
        lambda w, a, k: w.client.tracks.list(*a, **k),
        echo=("offset", "limit", "order", "order_by"),
    ),
    _m(
        "tracks.iter",
        (Arg("page_size", "page_size"), Arg("order", "order"), Arg("order_by", "order_by")),
        lambda w, a, k: w.client.tracks.iter(*a, **k),
        echo=("page_size:limit", "order", "order_by"),
    ),
    _m(
        "tracks.wait",
        (
            Arg("track", "track_id", required=True, positional=True),
            Arg("timeout", "timeout"),
        ),
        lambda w, a, k: w.client.tracks.wait(*a, **k),
        outcomes=(GenerationTimeoutError, GenerationFailedError),
        sends=False,
    ),
    _m(
        "tracks.generate",
        (Arg("timeout", "timeout"), *_CREATE),
        lambda w, a, k: w.client.tracks.generate(*a, **k),
        echo=_TRACK_ECHO,
        outcomes=(GenerationTimeoutError,),
    ),
]
DOWNLOAD = _m(
    "tracks.download",
    (
        Arg("track", "track_id", required=True, positional=True),
        Arg("format", "format"),
        Arg("bitrate", "bitrate"),
    ),
    lambda w, a, k: None,  # see _download_case: dest is made apart, inside a directory
)
CATALOG = [
    _m("playlists.list", (), lambda w, a, k: w.client.playlists.list(*a, **k)),
    _m(
        "streaming.get_link",
        (
            Arg("playlist_index", "playlist_index", required=True, positional=True),
            Arg("bitrate", "bitrate"),
            Arg("intensity", "intensity"),
            Arg("type", "type"),
        ),
        lambda w, a, k: w.client.streaming.get_link(*a, **k),
        echo=("playlist_index", "bitrate", "intensity", "type"),
    ),
    _m(
        "streaming.set_loop",
        (Arg("on", "on", required=True, positional=True), Arg("time", "time")),
        lambda w, a, k: w.client.streaming.set_loop(*a, **k),
        echo=("time",),
    ),
    _m(
        "streaming.set_intensity",
        (Arg("intensity", "intensity", required=True, positional=True),),
        lambda w, a, k: w.client.streaming.set_intensity(*a, **k),
        echo=("intensity",),
    ),
    _m("streaming.restart", (), lambda w, a, k: w.client.streaming.restart(*a, **k)),
    _m(
        "library.params",
        _LIBRARY,
        lambda w, a, k: w.client.library.params(*a, **k),
        echo=tuple(a.name for a in _LIBRARY if a.name not in {"order", "order_by", "tempo"}),
    ),
    _m(
        "library.tracks",
        (Arg("offset", "offset"), Arg("limit", "limit"), *_LIBRARY),
        lambda w, a, k: w.client.library.tracks(*a, **k),
        echo=("offset", "limit", *(a.name for a in _LIBRARY if a.name != "tempo")),
    ),
    _m(
        "library.iter_tracks",
        (Arg("page_size", "page_size"), *_LIBRARY),
        lambda w, a, k: w.client.library.iter_tracks(*a, **k),
        echo=("page_size:limit", *(a.name for a in _LIBRARY if a.name != "tempo")),
    ),
]
_CUSTOMER = Arg("customer_id", "id", required=True, positional=True)
_LICENSE = Arg("license_id", "id", required=True, positional=True)
SERVICE = [
    _m("licenses.list", (), lambda w, a, k: w.service.licenses.list(*a, **k)),
    _m(
        "licenses.get",
        (_LICENSE,),
        lambda w, a, k: w.service.licenses.get(*a, **k),
        path_ids=("license_id",),
    ),
    _m(
        "licenses.update",
        (_LICENSE, Arg("webhook_url", "webhook_url"), Arg("webhook_enabled", "webhook_enabled")),
        lambda w, a, k: w.service.licenses.update(*a, **k),
        echo=("webhook_url", "webhook_enabled"),
        path_ids=("license_id",),
    ),
    _m(
        "customers.create",
        (Arg("custom_id", "custom_id", required=True, positional=True),),
        lambda w, a, k: w.service.customers.create(*a, **k),
        echo=("custom_id",),
    ),
    _m(
        "customers.list",
        (Arg("offset", "offset"), Arg("limit", "limit")),
        lambda w, a, k: w.service.customers.list(*a, **k),
        echo=("offset", "limit"),
    ),
    _m(
        "customers.iter",
        (Arg("page_size", "page_size"),),
        lambda w, a, k: w.service.customers.iter(*a, **k),
        echo=("page_size:limit",),
    ),
    _m(
        "customers.get",
        (_CUSTOMER,),
        lambda w, a, k: w.service.customers.get(*a, **k),
        path_ids=("customer_id",),
    ),
    _m(
        "customers.get_by_custom_id",
        (Arg("custom_id", "custom_id", required=True, positional=True),),
        lambda w, a, k: w.service.customers.get_by_custom_id(*a, **k),
        path_ids=("custom_id",),
    ),
    _m(
        "customers.get_or_create",
        (Arg("custom_id", "custom_id", required=True, positional=True),),
        lambda w, a, k: w.service.customers.get_or_create(*a, **k),
        path_ids=("custom_id",),
    ),
    _m(
        "customers.update",
        (_CUSTOMER, Arg("custom_id", "custom_id", required=True)),
        lambda w, a, k: w.service.customers.update(*a, **k),
        echo=("custom_id",),
        path_ids=("customer_id",),
    ),
    _m(
        "customers.delete",
        (_CUSTOMER,),
        lambda w, a, k: w.service.customers.delete(*a, **k),
        path_ids=("customer_id",),
    ),
]


# -- the oracle ----------------------------------------------------------------------------


def _one_source(
    rnd: random.Random, keywords: dict[str, Any], makers: dict[str, Make], args: tuple[Arg, ...]
) -> None:
    """Usually give exactly one of the sources (playlist_index/prompt/image) ``args`` declares."""
    declared = [a.name for a in args if a.name in _SOURCES and not a.positional]
    if not declared or rnd.random() < 0.3:
        return
    keep = rnd.choice(declared)
    for name in declared:
        keywords.pop(name, None)
    keywords[keep] = makers[keep](rnd)
    if keep != "playlist_index" and rnd.random() < 0.8:
        keywords.pop("bpm", None), keywords.pop("key", None)


def _expected(value: Any) -> Any:
    """``value`` as the API must receive it: enum members as their values, iterables as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_expected(v) for v in value]
    return value


async def _invoke(call: Callable[[], Any]) -> Any:
    """Call, and await the result or take the first item of the iterator it returns."""
    result = call()
    if inspect.isawaitable(result):
        return await result
    assert isinstance(result, AsyncIterator), result
    try:
        async for item in result:
            return item
        return None
    finally:
        await result.aclose()  # type: ignore[attr-defined]


def _check_sent(
    method: Method, requests: list[Request], keywords: dict[str, Any], args: list[Any]
) -> None:
    """Every API request conforms; the arguments arrived as given; ids stayed one segment."""
    api = [r for r in requests if r.url.startswith(BASE)]
    assert api or not method.sends, f"{method.name} accepted the input but sent nothing"
    given_args = dict(zip([a.name for a in method.args if a.positional], args, strict=False))
    given_args.update(keywords)
    for i, request in enumerate(api):
        key = check_request(request)
        if i == 0:  # the method's own operation (later ones: polls of wait/generate)
            sent = sent_fields(request, OPERATIONS[key])
            index = sent.get("playlist_index")  # the SDK's rule; the document has no pattern
            assert index is None or _PLAYLIST_INDEX.fullmatch(index), f"playlist_index {index!r}"
            for entry in method.echo:
                name, _, field = entry.partition(":")
                value = given_args.get(name)
                if value is not None:
                    got = sent.get(field or name, "<not sent>")
                    assert got == _expected(value), (
                        f"{method.name}: {name}={value!r} sent as {got!r}"
                    )
        for name in method.path_ids:
            value = given_args[name]
            value = value.id if isinstance(value, Track) else value
            assert value in path_values(request), f"{method.name}: {name}={value!r} not in the path"


def _call_method(
    run: Run, wire: Wire, method: Method, args: list[Any], keywords: dict[str, Any]
) -> None:
    recorder = wire.answer()
    try:
        run(_invoke(lambda: method.call(wire, args, keywords)))
    except InvalidRequestError as error:
        event(f"{method.name}: refused ({error.field})")
        assert recorder.requests == [], f"{method.name} refused the input after sending"
        return
    except method.outcomes as error:
        event(f"{method.name}: {type(error).__name__}")
    else:
        event(f"{method.name}: sent")
    _check_sent(method, recorder.requests, keywords, args)


def _inputs(methods: list[Method]) -> st.SearchStrategy[tuple[Method, int]]:
    return st.tuples(st.sampled_from(methods), st.integers(0, 2**64 - 1))


def _run_case(run: Run, wire: Wire, makers: dict[str, Make], case: tuple[Method, int]) -> None:
    method, seed = case
    rnd = random.Random(seed)
    if method is DOWNLOAD:
        _download_case(run, wire, makers, rnd)
        return
    args, keywords = arguments(rnd, method.args, makers)
    _one_source(rnd, keywords, makers, method.args)
    _call_method(run, wire, method, args, keywords)


@given(case=_inputs(GENERATION))
def test_track_generation_inputs_are_sent_as_documented_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], case: tuple[Method, int]
) -> None:
    """tracks create/record/stored/similar/edit."""
    _run_case(run, wire, makers, case)


@given(case=_inputs([*LOOKUP, DOWNLOAD]))
def test_track_lookup_inputs_are_sent_as_documented_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], case: tuple[Method, int]
) -> None:
    """tracks get/get_by_session/list/iter/wait/generate/download."""
    _run_case(run, wire, makers, case)


@given(case=_inputs(CATALOG))
def test_streaming_and_library_inputs_are_sent_as_documented_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], case: tuple[Method, int]
) -> None:
    """playlists.list, streaming get_link/set_loop/set_intensity/restart, library params/tracks/iter_tracks."""
    _run_case(run, wire, makers, case)


@given(case=_inputs(SERVICE))
def test_service_inputs_are_sent_as_documented_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], case: tuple[Method, int]
) -> None:
    """licenses list/get/update, customers create/list/iter/get/get_by_custom_id/update/delete."""
    _run_case(run, wire, makers, case)


@given(seed=st.integers(0, 2**64 - 1))
def test_track_requests_are_valid_when_made_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], seed: int
) -> None:
    """``TrackRequest(...)``: refused when made, or sent (``tracks.submit``) as documented.

    Its image is only read when it is sent: an unreadable one is refused then, still
    before anything goes out.
    """
    rnd = random.Random(seed)
    args, keywords = arguments(rnd, _CREATE[:1], makers)
    args = [keywords.pop("duration")]
    keywords.update(arguments(rnd, _TRACK_FIELDS, makers)[1])
    _one_source(rnd, keywords, makers, _CREATE)
    try:
        request = TrackRequest(*args, **keywords)
    except InvalidRequestError:
        return
    repr(request), request.fields()
    submit = Method(
        "tracks.submit", _CREATE, lambda w, a, k: w.client.tracks.submit(request), echo=_TRACK_ECHO
    )
    _call_method(run, wire, submit, [], {"duration": args[0], **keywords})


# -- generate_many ---------------------------------------------------------------------------


def _item(rnd: random.Random, makers: dict[str, Make]) -> Any:
    """One request for generate_many: a dict of TrackRequest fields, a TrackRequest, or junk."""
    pick = rnd.random()
    if pick < 0.15:
        return anything(rnd)
    _, fields = arguments(rnd, _CREATE, makers)
    _one_source(rnd, fields, makers, _CREATE)
    if rnd.random() < 0.1:
        fields[rnd.choice(["colour", "timeout", "request", ""])] = anything(rnd)
    if rnd.random() < 0.05:
        fields.pop("duration", None)
    if pick < 0.35:
        try:
            return TrackRequest(**fields)
        except (InvalidRequestError, TypeError):
            return fields
    return fields


async def _async_items(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def _requests_container(rnd: random.Random, items: list[Any]) -> tuple[Any, int | None]:
    """``items`` in some iterable (or not an iterable at all), and how many items it yields."""
    pick = rnd.random()
    if pick < 0.5:
        return items, len(items)
    if pick < 0.6:
        return tuple(items), len(items)
    if pick < 0.7:
        return (item for item in items), len(items)
    if pick < 0.8:
        return _async_items(items), len(items)
    if pick < 0.85:
        return {"duration": 30, "prompt": "x"}, 2  # a dict iterates over its keys
    return rnd.choice(["prompt", b"x", 5, None, TrackRequest(30, prompt="p")]), None


async def _drain(results: AsyncIterator[GenerationResult]) -> list[GenerationResult]:
    return [result async for result in results]


@given(seed=st.integers(0, 2**64 - 1))
def test_generate_many_items_are_sent_as_documented_or_refused(
    run: Run, wire: Wire, makers: dict[str, Make], seed: int
) -> None:
    """``generate_many``: its own arguments, and each item coerced (dicts) or refused alone.

    The run is refused at once (nothing sent), or yields one result per item: the
    track, or an InvalidRequestError for an item that was never sent. Each sent
    create conforms and carries its item's fields.
    """
    rnd = random.Random(seed)
    items = [_item(rnd, makers) for _ in range(rnd.randint(0, 4))]
    container, count = _requests_container(rnd, items)
    _, options = arguments(
        rnd,
        (
            Arg("concurrency", "concurrency"),
            Arg("ordered", "ordered"),
            Arg("timeout", "timeout"),
            Arg("progress", "progress"),
        ),
        makers,
    )
    recorder = wire.answer()

    async def generate_many() -> list[GenerationResult]:
        # Made inside the loop, as users do: made outside one, the run fails at once
        # (anyio's NoEventLoopError from generation/_batch.py; reported, not tested here).
        return await _drain(wire.client.tracks.generate_many(container, **options))

    try:
        results = run(generate_many())
    except InvalidRequestError as error:
        event(f"generate_many: refused ({error.field})")
        assert recorder.requests == []
        return
    event(f"generate_many: {sum(r.ok for r in results)} of {len(results)} sent")
    assert count is not None, f"generate_many accepted {container!r}"
    assert sorted(r.index for r in results) == list(range(count)), "a result is missing or doubled"
    if options.get("ordered"):
        assert [r.index for r in results] == list(range(count))
    creates = [r for r in recorder.requests if r.method == "POST"]
    assert len(creates) == sum(r.ok for r in results), "an item was sent but reported failed"
    bodies = [sent_fields(r, OPERATIONS[check_request(r)]) for r in creates]
    for result in results:
        if result.ok:
            assert isinstance(result.request, TrackRequest)
            fields = {k: _expected(v) for k, v in result.request.fields().items()}
            if result.request.image is not None:
                fields["image"] = "<file>"
            assert fields in bodies, f"item {result.index} was not sent as given"
        else:
            assert isinstance(result.error, (InvalidRequestError, GenerationTimeoutError)), repr(
                result.error
            )


# -- download ----------------------------------------------------------------------------------

_AUDIO = b"ID3" + bytes(range(256)) * 4


def _serve_files(request: Request) -> Response:
    """The API as ``_done`` answers it; any other URL is the audio file."""
    if request.url.startswith(BASE):
        return done_answer(request)
    return Response(200, {"content-type": "audio/mpeg", "content-length": str(len(_AUDIO))}, _AUDIO)


def _dest(rnd: random.Random, directory: Path) -> Any:
    """Where to download: the directory, a name in it (any text), or not a path at all.

    Only paths inside ``directory`` are ever made: a name loses its "/" (and ".." its
    meaning), and ``anything`` gives no str, bytes or PathLike here.
    """
    pick = rnd.random()
    if pick < 0.3:
        return rnd.choice([directory, str(directory), str(directory) + "/"])
    if pick < 0.8:
        name = text(rnd).replace("/", "_").replace("..", "__") or "_"
        path = directory / name
        if rnd.random() < 0.1:  # a bytes path: not a str or os.PathLike, so refused
            return str(path).encode("utf-8", "replace")
        return rnd.choice([path, str(path)])
    value = anything(rnd)
    return None if isinstance(value, (str, bytes, os.PathLike)) else value


def _download_case(run: Run, wire: Wire, makers: dict[str, Make], rnd: random.Random) -> None:
    """``tracks.download``: the file is written where asked, or the input is refused.

    A refusal comes before anything is sent - or, when the track had to be looked up
    first, right after that lookup (it has no done generation in the asked
    format/bitrate) and before any file is fetched.
    """
    downloads = makers["downloads"](rnd)
    args, keywords = arguments(rnd, DOWNLOAD.args, makers)
    dest = _dest(rnd, downloads)
    recorder = wire.answer(_serve_files)
    refused: InvalidRequestError | None = None
    unwritable: OSError | None = None
    try:
        written = run(wire.client.tracks.download(args[0], dest, **keywords))
    except InvalidRequestError as error:
        refused = error
    except OSError as error:  # documented: the file cannot be written
        unwritable = error
    files = [r for r in recorder.requests if not r.url.startswith(BASE)]
    if refused is not None:
        event(f"download: refused ({refused.field})")
        looked_up = refused.field == "track"  # no such generation: known only after a lookup
        assert all(r.url.startswith(BASE) and r.method == "GET" for r in recorder.requests)
        assert looked_up or not recorder.requests, "refused after sending"
        return
    if unwritable is not None:  # only a name too long is made here, and before any fetch
        event(f"download: {type(unwritable).__name__} {unwritable.errno}")
        assert unwritable.errno == errno.ENAMETOOLONG and not files, repr(unwritable)
        return
    event("download: written")
    assert len(files) == 1 and not {"access-token", "customer-id"} & set(files[0].headers)
    for request in recorder.requests:
        if request.url.startswith(BASE):
            check_request(request)
    assert written.read_bytes() == _AUDIO
    assert written.parent == downloads.resolve(), f"written outside the directory: {written}"


def test_every_public_method_has_an_input_property() -> None:
    """The tables above name every public method of every resource (new ones must be added)."""
    from mubert_async.resources import Customers, Library, Licenses, Playlists, Streaming, Tracks

    covered = {m.name for m in GENERATION + LOOKUP + CATALOG + SERVICE}
    # tested apart (recent_page: by the reconciliation tests of tests/test_exactly_once.py)
    covered |= {"tracks.submit", "tracks.generate_many", "tracks.download", "tracks.recent_page"}
    public = {
        f"{name}.{attr}"
        for name, cls in (
            ("tracks", Tracks),
            ("playlists", Playlists),
            ("streaming", Streaming),
            ("library", Library),
            ("licenses", Licenses),
            ("customers", Customers),
        )
        for attr in vars(cls)
        if not attr.startswith("_") and callable(getattr(cls, attr))
    }
    assert public <= covered, sorted(public - covered)
