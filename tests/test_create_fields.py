"""``tracks.create``/``record`` and ``CreateFields`` share one definition of the create fields."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import pytest

from mubert_async import MubertClient, TrackRequest
from mubert_async.models._tracks import CreateFields
from mubert_async.resources.tracks import Tracks
from mubert_async.testing import FakeMubert


def _shape(func: Any) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(func).parameters.values()]


def test_create_and_record_take_exactly_the_track_request_fields() -> None:
    fields = [
        (p.name, inspect.Parameter.KEYWORD_ONLY, p.default)
        for p in inspect.signature(TrackRequest).parameters.values()
    ]
    expected = [("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty)]
    assert _shape(Tracks.create) == _shape(Tracks.record) == expected + fields
    assert inspect.signature(Tracks.create) == inspect.signature(Tracks.record)


def test_help_shows_the_keyword_parameters(client: MubertClient) -> None:
    shown = str(inspect.signature(client.tracks.record))
    assert shown.startswith("(*, duration: int, playlist_index: str | None = None, prompt:")


def test_create_fields_match_track_request() -> None:
    # The TypedDict the type checkers read and the struct that runs agree, name and type.
    assert CreateFields.__required_keys__ == {"duration"}
    assert typing.get_type_hints(CreateFields) == typing.get_type_hints(TrackRequest)
    assert list(typing.get_type_hints(CreateFields)) == list(TrackRequest.__struct_fields__)


def test_tracks_model_module_star_imports() -> None:
    # ``__all__`` named CreateFields while it existed only for type checkers.
    namespace: dict[str, Any] = {}
    exec("from mubert_async.models._tracks import *", namespace)
    assert namespace["CreateFields"] is CreateFields


@pytest.mark.parametrize("method", ["create", "record"])
@pytest.mark.parametrize(
    "kwargs",
    [{"duration": 30, "promt": "lofi"}, {"prompt": "lofi"}],
    ids=["misspelt", "no-duration"],
)
async def test_bad_keywords_raise_type_error_before_sending(
    client: MubertClient, fake: FakeMubert, method: str, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        await getattr(client.tracks, method)(**kwargs)
    assert fake.requests == []


@pytest.mark.parametrize("method", ["create", "record"])
async def test_positional_duration_is_refused(client: MubertClient, method: str) -> None:
    with pytest.raises(TypeError):
        await getattr(client.tracks, method)(30, prompt="lofi")


async def test_create_and_record_send_the_same_body(client: MubertClient, fake: FakeMubert) -> None:
    fields: dict[str, Any] = {"duration": 30, "playlist_index": "1.0.0", "bpm": 100, "key": "Am"}
    await client.tracks.create(**fields)
    await client.tracks.record(**fields)
    first, second = fake.requests
    assert first.url.endswith("/public/tracks")
    assert second.url.endswith("/public/tracks/record")
    assert first.content is not None and first.content == second.content
