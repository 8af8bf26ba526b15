"""How many generations may be in flight at once: nested shared limits, and learning them.

A generation holds one slot in each level of its limiter from create to done: the
customer's own limit and, for a service's customer clients, the license-wide one
(``max_concurrent_track_generations`` counts every customer of the license). Each
level is a ``SharedSemaphore`` from the client's ``Coordination``, so where the slots
live (this process, or Redis for many) is the coordination's business, not the
engine's.
"""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from .._logging import logger
from ..coordination import Coordination, Lease, SharedSemaphore
from ..errors import CoordinationError

__all__ = ["INITIAL_GUESS", "OUTAGE_GRACE", "GenerationLimiter", "LimitLevel", "Slot"]

INITIAL_GUESS = 8
"""Generations in flight before a client that does not know its limit has learned it."""
OUTAGE_GRACE = 10.0
"""Seconds an unreachable coordination is tried again before taking a slot fails."""


class LimitLevel:
    """One shared limit (a semaphore) and whether its value is still being learned.

    ``limit`` is a known limit, ``-1`` for unlimited, or None to learn it: start at
    ``guess`` (``INITIAL_GUESS``; None starts unlimited), grow by one each time a
    create succeeds while every slot is taken, and settle on the
    ``concurrent_track_generations`` a 403 reports. Every limiter given the same
    level (the customers of one service) learns together.
    """

    def __init__(
        self,
        coordination: Coordination,
        name: str,
        limit: int | None,
        *,
        guess: int | None = INITIAL_GUESS,
    ) -> None:
        self.learning = limit is None
        start = guess if limit is None else None if limit == -1 else limit
        self.semaphore: SharedSemaphore = coordination.semaphore(name, limit=start)
        # A known limit is stored on first use: a shared store may hold an older one.
        self._unstored: int | None = limit

    async def stored(self) -> None:
        """Store a known limit given at construction (once), over what a shared store held."""
        limit = self._unstored
        if limit is not None:
            await self.semaphore.set_limit(None if limit == -1 else limit)
            self._unstored = None

    async def adopt(self, limit: int) -> None:
        """Settle on ``limit`` (-1: unlimited), known from a record or reported by the server."""
        self.learning = False
        self._unstored = None
        await self.semaphore.set_limit(None if limit == -1 else limit)

    def __repr__(self) -> str:
        limit = "learning" if self.learning else self.semaphore.limit
        return f"LimitLevel({self.semaphore.name!r}, limit={limit})"


class Slot:
    """A generation's place in every level of its limiter; ``release()`` gives them back."""

    __slots__ = ("_leases",)

    def __init__(self, leases: Sequence[Lease]) -> None:
        self._leases = list(leases)

    async def release(self) -> None:
        """Give every lease back (once; safe while being cancelled)."""
        leases, self._leases = self._leases, []
        with anyio.CancelScope(shield=True):
            for lease in reversed(leases):
                await lease.release()


class GenerationLimiter:
    """The levels a customer's generations hold a slot in, innermost (the customer's) first.

    Slots are taken innermost first, each level's line served fairly by ``group`` (the
    customer), so one busy customer cannot starve the others of license-wide slots.
    """

    def __init__(self, levels: Sequence[LimitLevel], *, group: str) -> None:
        if not levels:
            raise ValueError("a limiter needs at least one level")
        self.levels = tuple(levels)
        self.group = group
        self._unreachable_since: float | None = None  # when taking a slot last failed

    @property
    def limit(self) -> int | None:
        """The tightest current limit (None: unlimited)."""
        binding = self._binding()
        return None if binding is None else binding.semaphore.limit

    @property
    def learning(self) -> bool:
        """True while the limit that binds (the tightest) is still being learned."""
        binding = self._binding()
        if binding is None:
            return any(level.learning for level in self.levels)
        return binding.learning

    def _binding(self) -> LimitLevel | None:
        """The level with the tightest limit (the innermost of equals), None if all unlimited."""
        bounded = [level for level in self.levels if level.semaphore.limit is not None]
        return min(bounded, key=lambda level: level.semaphore.limit or 0, default=None)

    @property
    def in_flight(self) -> int:
        """This customer's generations holding a slot right now."""
        return self.levels[0].semaphore.in_flight

    @property
    def peak(self) -> int:
        """The most of this customer's generations that ever held a slot at once."""
        return self.levels[0].semaphore.peak

    async def acquire(self) -> Slot:
        """Wait for a slot in every level and take them.

        A coordination that cannot be reached (``CoordinationError``: Redis restarting,
        say) is tried again with backoff for ``OUTAGE_GRACE`` seconds, then the error
        is raised: a blip costs time, an outage a clear error, never a hang.
        """
        delay = 0.1
        while True:
            leases: list[Lease] = []
            try:
                for level in self.levels:
                    await level.stored()
                    leases.append(await level.semaphore.acquire(self.group))
            except CoordinationError as error:
                await Slot(leases).release()
                now = anyio.current_time()
                if self._unreachable_since is None:
                    self._unreachable_since = now
                if now + delay > self._unreachable_since + OUTAGE_GRACE:
                    raise  # past the grace every acquire tries once, until one gets through
                logger.info("the coordination is unreachable (%s); trying again", error)
                await anyio.sleep(delay)
                delay = min(1.0, delay * 2)
                continue
            except BaseException:
                await Slot(leases).release()
                raise
            self._unreachable_since = None
            return Slot(leases)

    async def succeeded(self) -> None:
        """A create went through: a level learning its limit and saturated allows one more."""
        for level in self.levels:
            semaphore = level.semaphore
            limit = semaphore.limit
            if level.learning and limit is not None and semaphore.in_flight >= limit:
                await semaphore.set_limit(limit + 1)

    async def limited(self, reported: int | None) -> LimitLevel:
        """The server refused a create for concurrency: adopt the limit it reported.

        The 403 does not say whose limit it was. A known level that ``reported``
        matches and that is full explains it (nothing to learn). Otherwise a level
        still learning adopts it: the innermost one whose own count already reaches
        ``reported`` (that limit explains the refusal there), else the outermost (the
        license's: the server counts generations this limiter does not see). With no
        level learning, the outermost adopts it. Returns the level it was put down to.
        """
        levels = self.levels
        for level in levels:
            semaphore = level.semaphore
            full = reported is not None and semaphore.in_flight >= reported
            if not level.learning and semaphore.limit == reported and full:
                return level
        learning = [level for level in levels if level.learning]
        if reported is None or reported < 1:
            level = learning[-1] if learning else levels[-1]
            await level.adopt(max(1, level.semaphore.in_flight - 1))
            return level
        reaching = [level for level in learning if level.semaphore.in_flight >= reported]
        level = reaching[0] if reaching else learning[-1] if learning else levels[-1]
        await level.adopt(reported)
        return level

    def __repr__(self) -> str:
        limit = "learning" if self.learning else self.limit
        return f"GenerationLimiter(limit={limit}, in_flight={self.in_flight})"
