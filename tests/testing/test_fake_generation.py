"""Generation timing, failures, webhooks and determinism of FakeMubert."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mubert_async.testing import FakeMubert, ManualClock


async def test_generation_is_processing_until_its_time(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    track = (await api.create()).data
    path = f"/public/tracks/{track['id']}"
    clock.advance(9.999)
    assert (await api.public("GET", path)).data["generations"][0]["status"] == "processing"
    assert fake.in_flight == 1
    clock.advance(0.001)
    generation = (await api.public("GET", path)).data["generations"][0]
    assert generation["status"] == "done"
    assert generation["generated_at"] == "2026-01-01T00:00:10.000000Z"
    assert generation["expired_at"] == "2026-01-01T00:15:10.000000Z"  # track_expiration_time 900
    assert generation["url"] == (
        f"https://storage.fake-mubert.test/tracks/{track['id']}/{generation['session_id']}.mp3"
    )
    assert fake.in_flight == 0


async def test_generation_time_may_depend_on_the_request(clock: ManualClock, api_for) -> None:
    seen: list[Mapping[str, Any]] = []

    def timing(fields: Mapping[str, Any]) -> float:
        seen.append(fields)
        return fields["duration"] / 2

    api = api_for(FakeMubert(clock=clock, generation_time=timing))
    short = (await api.create(duration=10)).data
    long = (await api.create(duration=60, format="wav")).data
    assert seen[1]["duration"] == 60 and seen[1]["format"] == "wav"
    assert seen[1]["playlist_index"] == "1.0.0" and seen[1]["operation"] == "create"
    clock.advance(5)
    assert (await api.public("GET", f"/public/tracks/{short['id']}")).data["generations"][0][
        "status"
    ] == "done"
    assert (await api.public("GET", f"/public/tracks/{long['id']}")).data["generations"][0][
        "status"
    ] == "processing"


async def _statuses(api_for, clock: ManualClock, seed: int) -> list[str]:
    api = api_for(FakeMubert(clock=clock, failure_rate=0.5, seed=seed, generation_time=1))
    ids = [(await api.create()).data["id"] for _ in range(40)]
    clock.advance(1)
    return [
        (await api.public("GET", f"/public/tracks/{i}")).data["generations"][0]["status"]
        for i in ids
    ]


async def test_failure_rate_is_seeded(api_for) -> None:
    first = await _statuses(api_for, ManualClock(), seed=7)
    again = await _statuses(api_for, ManualClock(), seed=7)
    other = await _statuses(api_for, ManualClock(), seed=8)
    assert first == again != other
    assert set(first) == {"done", "failed"}
    assert 10 <= first.count("failed") <= 30


async def test_failed_generation_has_no_url(clock: ManualClock, api_for) -> None:
    api = api_for(FakeMubert(clock=clock, failure_rate=1.0, generation_time=3))
    track = (await api.create()).data
    clock.advance(3)
    generation = (await api.public("GET", f"/public/tracks/{track['id']}")).data["generations"][0]
    assert generation["status"] == "failed"
    assert generation["url"] is None and generation["generated_at"] is None


async def test_ids_and_tokens_are_reproducible_with_a_seed() -> None:
    one, two = FakeMubert(seed=3), FakeMubert(seed=3)
    assert (one.company_id, one.license_token, one.license_id) == (
        two.company_id,
        two.license_token,
        two.license_id,
    )
    assert one.add_customer().access_token == two.add_customer().access_token
    assert FakeMubert(seed=None).company_id != FakeMubert(seed=None).company_id


async def test_webhooks_fire_when_generations_finish(
    api, fake: FakeMubert, clock: ManualClock
) -> None:
    await api.service(
        "PUT",
        f"/service/licenses/{fake.license_id}",
        json={"webhook_url": "https://hooks.example/mubert", "webhook_enabled": True},
    )
    track = (await api.create()).data
    assert fake.webhooks == []
    clock.advance(10)
    ((url, body),) = fake.webhooks
    assert url == "https://hooks.example/mubert"
    assert body["id"] == track["id"] and body["generations"][0]["status"] == "done"
    assert body["generations"][0]["url"]

    await api.service(
        "PUT", f"/service/licenses/{fake.license_id}", json={"webhook_enabled": False}
    )
    await api.create()
    clock.advance(10)
    assert len(fake.webhooks) == 1


async def test_stats_count_what_happened(api, fake: FakeMubert) -> None:
    transport = fake.transport()
    request = api.request("GET", "/public/playlists", api.public_headers())
    await transport.send(request)
    await transport.send(request)
    assert fake.stats.requests == 2 and fake.requests == [request, request]
    quiet = FakeMubert(record_requests=False)
    await quiet.transport().send(request)
    assert quiet.stats.requests == 1 and quiet.requests == []
