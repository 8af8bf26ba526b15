"""``mubert_async.sim`` on a free loopback port, on an asyncio loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mubert_async.sim import serve
from mubert_async.testing import FakeMubert


@contextmanager
def served_in_a_thread(fake: FakeMubert) -> Iterator[str]:
    """Serve ``fake`` over HTTP while the block runs; yields its base URL.

    In its own thread and loop, so the block may call ``asyncio.run`` or ``trio.run``.
    """
    loop = asyncio.new_event_loop()
    started = threading.Event()
    found: dict[str, str] = {}

    def serve_forever() -> None:
        asyncio.set_event_loop(loop)
        runner, found["base_url"] = loop.run_until_complete(serve(fake))
        started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=serve_forever, name="http-sim", daemon=True)
    thread.start()
    assert started.wait(10), "the simulator did not start"
    try:
        yield found["base_url"]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
