"""Playlists, streaming and the music library against the in-memory Mubert."""

from __future__ import annotations

import pytest

from mubert_async import LicenseForbiddenError, MubertClient
from mubert_async.testing import FakeMubert


async def test_playlists(client: MubertClient) -> None:
    playlists = await client.playlists.list()
    assert playlists and all(p.playlist_index for p in playlists)
    assert any(p.params for p in playlists)


async def test_streaming(client: MubertClient, fake: FakeMubert) -> None:
    link = await client.streaming.get_link("1.0.0", bitrate=320, intensity="medium", type="http")
    assert link.startswith("https://") and "playlist=1.0.0" in link
    assert await client.streaming.set_loop(True, time=30) is None
    await client.streaming.set_loop(False)
    await client.streaming.set_intensity("low")
    await client.streaming.restart()
    fake.set_license(allow_all_features=False, features=["track"])
    with pytest.raises(LicenseForbiddenError):
        await client.streaming.get_link("1.0.0")


async def test_library(client: MubertClient) -> None:
    params = await client.library.params()
    by_name = {p.param: p for p in params}
    assert "genres" in by_name and by_name["genres"].values
    genre = by_name["genres"].values[0]
    page = await client.library.tracks(genres=genre.value, limit=5)
    assert page.meta.total == genre.tracks_count
    assert len(page.data) == min(5, genre.tracks_count)
    assert all(t.url for t in page.data)
    every = [t async for t in client.library.iter_tracks(page_size=7, genres=genre.value)]
    assert len(every) == genre.tracks_count
    narrowed = await client.library.params(genres=genre.value)
    assert {v.value for p in narrowed if p.param == "genres" for v in p.values} >= {genre.value}
