"""Progress notifications while a tool waits: a heartbeat the agent's client can show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

__all__ = ["HEARTBEAT", "Report", "with_heartbeat"]

T = TypeVar("T")

HEARTBEAT = 1.0
"""Seconds between progress notifications while a generation runs."""

Report = Callable[[float, float | None, str], Awaitable[None]]
"""``report(progress, total, message)``: sends one progress notification."""


async def with_heartbeat(
    work: Callable[[], Awaitable[T]], report: Report, label: str, interval: float = HEARTBEAT
) -> T:
    """Await ``work()``, reporting the seconds elapsed every ``interval`` until it ends.

    The first report goes out at once (0 s), the last one when the work is done;
    progress only ever grows, as MCP requires. An error of ``work`` propagates as is.
    """
    start = anyio.current_time()
    outcome: list[T] = []
    failure: list[Exception] = []

    async def beat() -> None:
        while True:
            elapsed = anyio.current_time() - start
            await report(elapsed, None, f"{label}: {elapsed:.0f} s")
            await anyio.sleep(interval)

    async with anyio.create_task_group() as group:
        group.start_soon(beat)
        try:
            outcome.append(await work())
        except Exception as error:  # re-raised below, outside the task group
            failure.append(error)
        group.cancel_scope.cancel()
    if failure:
        raise failure[0]
    elapsed = anyio.current_time() - start
    await report(elapsed, elapsed, f"{label}: done in {elapsed:.0f} s")
    return outcome[0]
