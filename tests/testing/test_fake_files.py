"""Generation files served by FakeMubert: real WAV/MP3 audio, and URL expiry."""

from __future__ import annotations

import io
import wave
from array import array

from mubert_async.testing import FakeMubert, ManualClock
from mubert_async.transport import Request


async def _done_url(api, clock: ManualClock, **fields: object) -> str:
    track = (await api.create(**fields)).data
    clock.advance(10)
    return (await api.public("GET", f"/public/tracks/{track['id']}")).data["generations"][-1]["url"]


async def test_wav_is_real_pcm_of_the_requested_duration(api, clock: ManualClock) -> None:
    url = await _done_url(api, clock, format="wav", duration=7, bpm=100, key="C#m")
    reply = await api.get(url)
    assert reply.status == 200
    assert reply.headers["content-type"] == "audio/wav"
    assert int(reply.headers["content-length"]) == len(reply.content)
    with wave.open(io.BytesIO(reply.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 22050)
        assert audio.getnframes() == 7 * 22050
        samples = array("h", audio.readframes(audio.getnframes()))
    assert max(samples) - min(samples) > 6000  # music, not silence
    assert max(abs(s) for s in samples) < 32767  # and never clipped


async def test_mp3_is_a_run_of_mpeg_frames(api, clock: ManualClock) -> None:
    url = await _done_url(api, clock, format="mp3", duration=12, bitrate=32)
    reply = await api.get(url)
    assert reply.status == 200 and reply.headers["content-type"] == "audio/mpeg"
    data = reply.content
    frame = 96  # 32 kbit/s at 48 kHz: 144 * 32000 / 48000
    assert len(data) % frame == 0
    for offset in range(0, len(data), frame):
        header = int.from_bytes(data[offset : offset + 4], "big")
        assert header >> 21 == 0x7FF  # frame sync
        assert (header >> 19) & 0b11 == 0b11 and (header >> 17) & 0b11 == 0b01  # MPEG-1 layer III
    assert abs(len(data) // frame * 1152 / 48000 - 12) < 0.025


async def test_file_url_expires(api, fake: FakeMubert, clock: ManualClock) -> None:
    fake.set_license(track_expiration_time=60)
    url = await _done_url(api, clock)
    clock.advance(59)
    assert (await api.get(url)).status == 200
    clock.advance(1)
    expired = await api.get(url)
    assert expired.status == 403
    assert expired.headers["content-type"] == "application/xml"
    assert expired.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b"<Code>AccessDenied</Code>" in expired.content
    assert b"<Message>Request has expired</Message>" in expired.content


async def test_unfinished_or_unknown_files_are_404(api, fake: FakeMubert) -> None:
    track = (await api.create()).data
    session = track["generations"][0]["session_id"]
    for key in (f"{track['id']}/{session}.mp3", f"{track['id']}/{session}.wav", "x/y.mp3", "junk"):
        reply = await api.get(f"{fake.files_base_url}/{key}")
        assert reply.status == 404 and b"<Code>NoSuchKey</Code>" in reply.content


async def test_library_files_never_expire(api, clock: ManualClock) -> None:
    track = (await api.public("GET", "/public/music-library/tracks", params={"limit": 1})).data[0]
    clock.advance(10 * 365 * 86400)
    fake_clock_far_future = await api.get(track["generations"][0]["url"])
    assert fake_clock_far_future.status == 200


async def test_files_follow_files_base_url_and_head(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    fake.files_base_url = "http://127.0.0.1:9/files/"
    url = await _done_url(api, clock)
    assert url.startswith("http://127.0.0.1:9/files/")
    head = await fake.handle(Request("HEAD", url))
    assert head.status == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    post = await fake.handle(Request("POST", url))
    assert post.status == 405
