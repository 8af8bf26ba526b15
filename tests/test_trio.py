"""The SDK on trio (anyio's other backend): generate_many, the httpx transport, aiohttp's refusal.

Each test is a plain function that calls ``anyio.run(main, backend="trio")``, as a user
would: the suite runs pytest-asyncio in auto mode, which claims every ``async def`` test
(``@pytest.mark.anyio`` ones included) for asyncio, so they would silently run there.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import trio
import trio.lowlevel
from engine_helpers import client_of, creates
from threaded_sim import served_in_a_thread

from mubert_async import GenerationStatus, MubertClient, MubertError, TrackRequest
from mubert_async.testing import FAST_POLL, FAST_RETRY, FakeMubert
from mubert_async.transport import AiohttpTransport, HttpxTransport


def on_trio(main: Callable[[], Awaitable[None]]) -> None:
    """Run ``main`` under trio, the way a user's program would."""
    anyio.run(main, backend="trio")


def prompts(n: int) -> list[TrackRequest]:
    return [TrackRequest(30, prompt=f"song {i}") for i in range(n)]


def running_tasks(name: str) -> list[trio.lowlevel.Task]:
    """Tasks of this trio run called ``name``, whichever nursery they are in."""
    found: list[trio.lowlevel.Task] = []
    todo = [trio.lowlevel.current_root_task()]
    while todo:
        task = todo.pop()
        assert task is not None
        if task.name == name:
            found.append(task)
        todo.extend(child for nursery in task.child_nurseries for child in nursery.child_tasks)
    return found


PRODUCER = "mubert-generate-many"


# -- generate_many on FakeMubert ----------------------------------------------------------


def test_generate_many_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.02)
        async with client_of(fake) as client:
            results = [
                r
                async for r in client.tracks.generate_many(prompts(5), concurrency=2, ordered=True)
            ]
        assert [r.index for r in results] == list(range(5))
        assert all(r.ok and r.track.status == GenerationStatus.DONE for r in results)
        assert creates(fake) == 5
        assert running_tasks(PRODUCER) == []

    on_trio(main)


def test_break_then_aclose_stops_the_run_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.05)
        async with client_of(fake) as client:
            run = client.tracks.generate_many(prompts(50), concurrency=3)
            async for result in run:
                assert result.ok
                break
            assert len(running_tasks(PRODUCER)) == 1  # the run is still referenced: it waits
            await run.aclose()
            assert running_tasks(PRODUCER) == []
            at = creates(fake)
            await anyio.sleep(0.15)
            assert creates(fake) == at <= 4  # nothing more was created, the rest never started

    on_trio(main)


def test_async_with_closes_the_run_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.05)
        async with client_of(fake) as client:
            async with client.tracks.generate_many(prompts(50), concurrency=2) as run:
                first = await run.__anext__()
                assert first.ok
            assert running_tasks(PRODUCER) == []
            at = creates(fake)
            await anyio.sleep(0.15)
            assert creates(fake) == at

    on_trio(main)


def test_the_iterables_error_reaches_the_consumer_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.01)

        def requests() -> Iterator[TrackRequest]:
            yield from prompts(2)
            raise LookupError("the caller's source broke")

        got = []
        async with client_of(fake) as client:
            with pytest.raises(LookupError, match="source broke"):
                async for result in client.tracks.generate_many(requests(), ordered=True):
                    got.append(result.index)
        assert set(got) <= {0, 1}  # in-flight items are cancelled with the run (as on asyncio)
        assert running_tasks(PRODUCER) == []

    on_trio(main)


def test_an_async_iterable_is_read_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.01)

        async def requests() -> AsyncIterator[dict[str, Any]]:
            for i in range(3):
                await trio.lowlevel.checkpoint()
                yield {"duration": 30, "prompt": f"a{i}"}

        async with client_of(fake) as client:
            results = [r async for r in client.tracks.generate_many(requests(), ordered=True)]
        assert [r.index for r in results] == [0, 1, 2] and all(r.ok for r in results)

    on_trio(main)


def test_a_dropped_run_is_cancelled_by_garbage_collection_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.05)
        async with client_of(fake) as client:
            async for _ in client.tracks.generate_many(prompts(100), concurrency=4):
                break
            gc.collect()  # the run's finalizer closes the pipeline: a trio cancel, in this run
            await anyio.sleep(0.1)
            assert running_tasks(PRODUCER) == []
            at = creates(fake)
            await anyio.sleep(0.15)
            assert creates(fake) == at

    on_trio(main)


def test_a_run_left_open_when_its_trio_run_ends_is_finalized_quietly() -> None:
    kept: list[Any] = []

    async def main() -> None:
        fake = FakeMubert(generation_time=0.05)
        async with client_of(fake) as client:
            run = client.tracks.generate_many(prompts(20), concurrency=3)
            async for _ in run:
                break
            kept.append(run)  # still open as the run's main task returns: trio cancels it

    on_trio(main)
    kept.clear()
    gc.collect()  # the finalizer closes a pipeline whose trio run is over: nothing raises


def test_cancelling_the_consumer_cancels_the_run_under_trio() -> None:
    async def main() -> None:
        fake = FakeMubert(generation_time=0.05)
        async with client_of(fake) as client:
            with anyio.move_on_after(0.12):
                async for _ in client.tracks.generate_many(prompts(100), concurrency=3):
                    pass
            assert running_tasks(PRODUCER) == []
            at = creates(fake)
            await anyio.sleep(0.15)
            assert creates(fake) == at < 100

    on_trio(main)


# -- over real HTTP: the simulator in a thread, HttpxTransport in trio ---------------------


@pytest.fixture
def served() -> Iterator[FakeMubert]:
    """``mubert_async.sim`` on 127.0.0.1 in a thread: trio cannot run aiohttp's server."""
    fake = FakeMubert(generation_time=0.05, seed=None)
    with served_in_a_thread(fake):
        yield fake


def http_client(fake: FakeMubert, transport: Any) -> MubertClient:
    return fake.client(transport=transport, retry=FAST_RETRY, poll=FAST_POLL)


def test_generate_and_download_over_httpx_under_trio(served: FakeMubert, tmp_path: Path) -> None:
    async def main() -> None:
        async with http_client(served, HttpxTransport()) as client:
            track = await client.tracks.generate(
                duration=6, prompt="trio", format="wav", timeout=20
            )
            assert track.status == GenerationStatus.DONE
            path = await client.tracks.download(track, tmp_path / "trio.wav", format="wav")
            assert path.read_bytes()[:4] == b"RIFF"
            results = [r async for r in client.tracks.generate_many(prompts(3), timeout=20)]
            assert sorted(r.index for r in results) == [0, 1, 2] and all(r.ok for r in results)
        assert running_tasks(PRODUCER) == []

    on_trio(main)


def test_one_httpx_transport_serves_two_trio_runs(served: FakeMubert) -> None:
    transport = HttpxTransport()
    clients: list[Any] = []

    async def main() -> None:
        client = http_client(served, transport)
        assert await client.playlists.list()
        clients.append(transport._pool.resource)

    on_trio(main)
    first = clients[0]
    assert first is not None and first.is_closed  # closed as its run ended, in that run
    on_trio(main)  # so the next run makes another client
    assert clients[1] is not first
    anyio.run(transport.aclose, backend="trio")
    assert clients[1].is_closed


def test_aiohttp_transport_refuses_trio_clearly(served: FakeMubert) -> None:
    async def main() -> None:
        sent = len(served.requests)
        async with http_client(served, AiohttpTransport()) as client:
            with pytest.raises(MubertError, match=r"asyncio.*HttpxTransport") as info:
                await client.playlists.list()
        assert "trio" in str(info.value)
        assert len(served.requests) == sent  # nothing reached the server

    on_trio(main)
