"""``client.tracks`` against the in-memory Mubert."""

from __future__ import annotations

import pytest

from mubert_async import (
    ConcurrencyLimitError,
    Format,
    GenerationStatus,
    Intensity,
    LicenseForbiddenError,
    Mode,
    MubertClient,
    NotFoundError,
    QuotaExceededError,
    Track,
)
from mubert_async.testing import FakeMubert, ManualClock

PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)


async def test_create_returns_processing_then_done(
    client: MubertClient, clock: ManualClock
) -> None:
    track = await client.tracks.create(
        duration=60,
        playlist_index="1.0.0",
        format="wav",
        bitrate=320,
        intensity=Intensity.LOW,
        mode=Mode.LOOP,
    )
    assert isinstance(track, Track)
    assert track.status == GenerationStatus.PROCESSING
    assert track.url is None
    assert (track.duration, track.intensity, track.mode) == (60, Intensity.LOW, Mode.LOOP)
    clock.advance(11)
    done = await client.tracks.get(track.id)
    assert done.status == GenerationStatus.DONE
    assert done.url is not None and done.url.endswith(".wav")
    assert done.generation is not None
    assert (done.generation.format, done.generation.bitrate) == (Format.WAV, 320)
    assert done.generation.expired_at is not None and done.generation.generated_at is not None
    assert await client.tracks.get(done) == done


async def test_prompt_image_and_record(client: MubertClient) -> None:
    by_prompt = await client.tracks.create(duration=30, prompt="calm piano in the rain")
    by_image = await client.tracks.create(duration=30, image=PNG)
    recorded = await client.tracks.record(duration=30, playlist_index="1.0.0", bpm=100, key="Am")
    assert by_prompt.prompt == "calm piano in the rain"
    assert {by_prompt.id, by_image.id, recorded.id} == {
        t.id for t in (await client.tracks.list()).data
    }
    assert (recorded.bpm, recorded.key) == (100, "Am")


async def test_get_by_session_similar_and_edit(client: MubertClient, clock: ManualClock) -> None:
    track = await client.tracks.create(duration=60, playlist_index="1.0.0")
    assert track.session_id is not None
    assert (await client.tracks.get_by_session(track.session_id)).id == track.id
    clock.advance(11)
    similar = await client.tracks.similar(track, duration=90, format="mp3", mode="track")
    assert similar.id != track.id and similar.parent_session_id == track.session_id
    assert similar.duration == 90
    edited = await client.tracks.edit(
        track.id, duration=45, replace_stems=["DRUMS"], delete_instruments=["PADS"]
    )
    assert edited.id == track.id and edited.duration == 45
    assert edited.generations is not None and len(edited.generations) == 2
    assert edited.status == GenerationStatus.PROCESSING
    assert edited.url is not None  # the older done generation is still downloadable
    clock.advance(11)
    assert (await client.tracks.get(track.id)).status == GenerationStatus.DONE


async def test_stored_track_is_ready_at_once(client: MubertClient, fake: FakeMubert) -> None:
    track = await client.tracks.stored(duration=60, playlist_index="1.0.0", format="mp3")
    assert track.status == GenerationStatus.DONE
    fake.track_store_enabled = False
    with pytest.raises(LicenseForbiddenError):
        await client.tracks.stored(duration=60, stream_id=3)


async def test_list_paginates_and_orders(client: MubertClient, clock: ManualClock) -> None:
    ids = []
    for _ in range(7):
        ids.append((await client.tracks.create(duration=30, prompt="x")).id)
        clock.advance(1)
    page = await client.tracks.list(offset=2, limit=3, order="asc", order_by="created_at")
    assert [t.id for t in page.data] == ids[2:5]
    assert (page.meta.total, page.meta.offset, page.meta.limit) == (7, 2, 3)
    assert page.has_more
    newest_first = await client.tracks.list(limit=2, order="desc", order_by="created_at")
    assert [t.id for t in newest_first.data] == [ids[6], ids[5]]
    assert [
        t.id async for t in client.tracks.iter(page_size=2, order="asc", order_by="created_at")
    ] == ids


async def test_unknown_and_foreign_tracks_are_not_found(
    client: MubertClient, fake: FakeMubert
) -> None:
    with pytest.raises(NotFoundError) as info:
        await client.tracks.get("123e4567-e89b-12d3-a456-426614174000")
    assert info.value.code == "TrackNotFound" and info.value.status == 404
    other = fake.client(fake.add_customer("someone-else"))
    theirs = await other.tracks.create(duration=30, prompt="mine")
    with pytest.raises(NotFoundError):
        await client.tracks.get(theirs.id)
    with pytest.raises(NotFoundError):
        await client.tracks.similar(theirs.id, duration=30)
    await other.aclose()


async def test_concurrency_limit_is_reported(client: MubertClient, fake: FakeMubert) -> None:
    fake.set_license_limits(max_concurrent_track_generations=2)
    await client.tracks.create(duration=30, prompt="a")
    await client.tracks.create(duration=30, prompt="b")
    with pytest.raises(ConcurrencyLimitError) as info:
        await client.tracks.create(duration=30, prompt="c")
    assert info.value.limit == 2
    assert fake.peak_in_flight == 2


async def test_daily_quota(client: MubertClient, fake: FakeMubert, clock: ManualClock) -> None:
    fake.set_license_limits(daily_tracks_count_limit=2)
    await client.tracks.create(duration=30, prompt="a")
    await client.tracks.create(duration=30, prompt="b")
    with pytest.raises(QuotaExceededError) as info:
        await client.tracks.create(duration=30, prompt="c")
    assert (info.value.period, info.value.used, info.value.limit) == ("daily", 2, 2)
    clock.advance(86_400)
    await client.tracks.create(duration=30, prompt="next day")


async def test_license_forbids_a_feature(client: MubertClient, fake: FakeMubert) -> None:
    fake.set_license(allow_all_features=False, features=["track"])
    with pytest.raises(LicenseForbiddenError) as info:
        await client.tracks.create(duration=30, prompt="not allowed")
    assert info.value.code == "LicenseForbiddenFeature"
    await client.tracks.create(duration=30, playlist_index="1.0.0")


async def test_failed_generation_is_reported(fake: FakeMubert, clock: ManualClock) -> None:
    failing = FakeMubert(clock=clock, generation_time=1.0, failure_rate=1.0)
    async with failing.client() as client:
        track = await client.tracks.create(duration=30, prompt="doomed")
        clock.advance(2)
        assert (await client.tracks.get(track.id)).status == GenerationStatus.FAILED


async def test_intensity_as_integer_is_understood(clock: ManualClock) -> None:
    fake = FakeMubert(clock=clock, intensity_as_int=True)
    async with fake.client() as client:
        track = await client.tracks.create(duration=30, prompt="x", intensity="medium")
        assert track.intensity == Intensity.MEDIUM
