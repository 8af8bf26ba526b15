"""``mubert_async._backend``: detached tasks and cross-loop closes on asyncio and on trio."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

import anyio
import pytest
import trio
import trio.lowlevel

from mubert_async._backend import call_soon_in, running_loop, spawn


@pytest.fixture
def trio_run() -> Iterator[object]:
    """The token of a trio run in another thread, running until the test ends."""
    box: dict[str, object] = {}
    ready, stop = threading.Event(), threading.Event()

    async def main() -> None:
        box["token"] = running_loop()
        ready.set()
        await trio.to_thread.run_sync(stop.wait)

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield box["token"]
    finally:
        stop.set()
        thread.join(5)


async def test_a_close_is_started_in_a_trio_run_of_another_thread(trio_run: object) -> None:
    closed = threading.Event()

    async def close() -> None:
        await trio.lowlevel.checkpoint()
        closed.set()

    assert running_loop() is not trio_run
    assert call_soon_in(trio_run, close)
    assert await anyio.to_thread.run_sync(closed.wait, 5)


async def test_a_failing_close_in_another_loop_is_logged_not_raised(
    trio_run: object, caplog: pytest.LogCaptureFixture
) -> None:
    failed = threading.Event()

    async def close() -> None:
        failed.set()
        raise OSError("socket already gone")

    with caplog.at_level(logging.DEBUG, logger="mubert_async"):
        assert call_soon_in(trio_run, close)
        assert await anyio.to_thread.run_sync(failed.wait, 5)
        await anyio.sleep(0.05)  # the trio run survives it (a system task must not raise)
    assert call_soon_in(trio_run, anyio.lowlevel.checkpoint)
    assert "closing a resource of another event loop failed" in caplog.text


def test_a_loop_that_stopped_gets_nothing_to_run() -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    assert not call_soon_in(loop, anyio.lowlevel.checkpoint)


async def test_a_detached_task_cancelled_before_it_ran_still_ends() -> None:
    started = False

    async def never() -> None:
        nonlocal started
        started = True

    detached = spawn(never, name="cancelled-early")
    assert detached._task is not None
    detached._task.cancel()  # what asyncio.run does to leftover tasks as it shuts down
    with anyio.fail_after(5):
        await detached.wait()
        with pytest.raises(asyncio.CancelledError):
            await detached.result()
    assert detached.done and not started


def test_a_detached_tasks_error_is_kept_for_result_on_trio() -> None:
    async def main() -> None:
        async def broken() -> None:
            raise LookupError("kept")

        detached = spawn(broken, name="broken")
        with pytest.raises(LookupError, match="kept"):
            await detached.result()  # not a TrioInternalError: the system task did not raise

    anyio.run(main, backend="trio")
