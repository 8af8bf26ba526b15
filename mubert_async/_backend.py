"""The running event loop, on either anyio backend (asyncio, trio): its identity, detached tasks.

The rest of the SDK is written against anyio. What anyio's public API lacks is here,
once: a task that outlives the call starting it (a ``generate_many`` run's producer,
which runs between the consumer's ``async for`` steps) and the identity of the
running loop (what a transport binds its connection pool to). Only this module
branches on the backend; trio is imported only when it is the one running.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

import anyio
import anyio.lowlevel

from ._logging import logger

if TYPE_CHECKING:
    import asyncio

    import trio

__all__ = ["Detached", "call_soon_in", "is_asyncio", "running_loop", "spawn"]


def running_loop() -> object:
    """The running event loop: the ``asyncio`` loop, or the ``TrioToken`` of the trio run.

    The same object for as long as that loop runs (``is`` compares two), another one
    in another loop. Raises ``RuntimeError`` outside a running loop.
    """
    return anyio.lowlevel.current_token().native_token


def is_asyncio(loop: object) -> bool:
    """Whether ``loop`` (from ``running_loop``) is an asyncio loop (else it is a trio run).

    asyncio is not imported for this (``import mubert_async`` stays cheap): a loop of it
    can only exist once something else has imported it.
    """
    module = sys.modules.get("asyncio")
    return module is not None and isinstance(loop, module.AbstractEventLoop)


def call_soon_in(loop: object, close: Callable[[], Awaitable[object]]) -> bool:
    """Start ``close()`` in ``loop``, which is not the running one; never waits for it.

    Returns False when ``loop`` no longer runs (nothing was started). What ``close``
    raises is logged at debug level: it runs where nobody awaits it.
    """
    if is_asyncio(loop):
        import asyncio

        asyncio_loop = cast(asyncio.AbstractEventLoop, loop)
        if not asyncio_loop.is_running():
            return False
        asyncio.run_coroutine_threadsafe(_quietly(close), asyncio_loop)
        return True
    import trio

    try:
        cast("trio.lowlevel.TrioToken", loop).run_sync_soon(
            trio.lowlevel.spawn_system_task, _quietly, close
        )
    except trio.RunFinishedError:
        return False
    return True


async def _quietly(close: Callable[[], Awaitable[object]]) -> None:
    try:
        await close()
    except Exception:
        logger.debug("closing a resource of another event loop failed", exc_info=True)


class Detached:
    """A task started by ``spawn``: outside every caller's cancel scope, its outcome kept.

    ``wait()`` returns once the task ended; ``result()`` waits, then raises what ended
    it (nothing if it returned). An exception is held for ``result()``, never left to
    the backend: asyncio would log it as never retrieved, trio would crash the run.
    """

    __slots__ = ("_done", "_error", "_task")

    def __init__(self) -> None:
        self._done = anyio.Event()
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None  # asyncio: referenced, so never collected

    @property
    def done(self) -> bool:
        """True once the task ended."""
        return self._done.is_set()

    async def wait(self) -> None:
        """Return once the task ended."""
        await self._done.wait()

    async def result(self) -> None:
        """Wait for the task to end; raise what ended it, if anything did."""
        await self._done.wait()
        if self._error is not None:
            raise self._error

    async def _run(self, run: Callable[[], Awaitable[None]]) -> None:
        try:
            await run()
        except Exception as error:
            self._error = error
        except BaseException as error:  # cancelled (its loop shuts down): the backend's business
            self._error = error
            raise
        finally:
            self._done.set()

    def _ended(self, task: asyncio.Task[None]) -> None:
        # asyncio only: a task cancelled before its first step never runs _run's finally.
        if task.cancelled() and self._error is None:
            import asyncio

            self._error = asyncio.CancelledError()
        self._done.set()


def spawn(run: Callable[[], Awaitable[None]], *, name: str) -> Detached:
    """Start ``run()`` as a task of the running loop that outlives the caller's scopes.

    asyncio: ``loop.create_task``. trio: a system task (trio cancels it when the
    run's main task returns), in a copy of the caller's context variables as asyncio
    would give it. Cancel it through a cancel scope ``run`` enters.
    """
    loop = running_loop()
    detached = Detached()
    if is_asyncio(loop):
        task = cast("asyncio.AbstractEventLoop", loop).create_task(detached._run(run), name=name)
        task.add_done_callback(detached._ended)
        detached._task = task
    else:
        import trio

        trio.lowlevel.spawn_system_task(
            detached._run, run, name=name, context=contextvars.copy_context()
        )
    return detached
