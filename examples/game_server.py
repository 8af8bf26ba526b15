"""A game server sketch: pre-generated music loops per mood, and a live stream it steers.

What it shows:

* a buffer of ready loops (``mode="loop"``) for each mood of the game, at most
  ``LOOPS_PER_MOOD`` each, refilled in the background as the game uses them up;
* the refill is one endless ``generate_many`` run fed by a lazy request generator: it
  keeps as many generations in flight as the license's ``max_concurrent_track_generations``
  allows and never more (``client.generations_in_flight`` shows how many);
* a live stream of a channel (``streaming.get_link`` once) whose intensity follows the
  action (``streaming.set_intensity``);
* clean shutdown: cancelling the task group stops the refill; the ``generate_many`` run
  creates nothing more and stops waiting for the generations under way (the server
  still finishes those, and they are billed);
* on the simulator, lost answers to creates: the SDK finds the track the server made
  rather than creating it a second time.

The game itself is simulated: a fixed number of ticks, a scripted walk through zones
(each with a mood) and a seeded threat level driving the stream's intensity.

Run it on the built-in simulator (no credentials, no network; license limit of 4
generations at a time, half-second generations; finishes in about 5 seconds)::

    python examples/game_server.py

Against the real API, with your company credentials (a customer ``game-server`` is
created or reused, and every loop is billed)::

    MUBERT_COMPANY_ID=... MUBERT_LICENSE_TOKEN=... python examples/game_server.py --real
"""

from __future__ import annotations

import argparse
from collections import deque
from collections.abc import AsyncIterator

import anyio

from mubert_async import (
    Intensity,
    MubertClient,
    MubertServiceClient,
    NotFoundError,
    Track,
    TrackRequest,
)
from mubert_async.testing import FakeMubert, Fault

MOODS = {
    "calm": "peaceful ambient village, soft flute and strings",
    "tense": "tense suspenseful pulse, low drones, ticking percussion",
    "battle": "epic battle drums, heroic brass, fast tempo",
}
LOOPS_PER_MOOD = 2
LOOP_SECONDS = 30
TICKS = 60
TICK_SECONDS = 0.05
ZONES = {0: "calm", 12: "tense", 20: "battle", 34: "calm", 42: "battle", 54: "tense"}
"""Tick at which the player enters a zone, and the zone's mood: picks the loop."""
EVENTS: dict[int, tuple[str, Intensity]] = {
    0: ("wandering the village", Intensity.LOW),
    15: ("footsteps in the dark", Intensity.MEDIUM),
    20: ("ambush!", Intensity.HIGH),
    28: ("the enemies retreat", Intensity.MEDIUM),
    34: ("back to safety", Intensity.LOW),
    42: ("boss fight", Intensity.HIGH),
    50: ("boss defeated", Intensity.MEDIUM),
    54: ("exploring the ruins", Intensity.LOW),
}
"""Game events at a tick, and the stream intensity they call for."""
SIM_LIMIT = 4
"""The simulated license's max_concurrent_track_generations."""


class LoopBuffer:
    """Ready loops per mood, and the requests that keep every mood topped up.

    ``requests()`` is an endless, lazy stream of ``TrackRequest``: it yields one for the
    mood that is furthest from full, and waits while every mood is full (ready plus
    pending). ``generate_many`` reads it only as generation slots free up.
    """

    def __init__(self, moods: dict[str, str], capacity: int) -> None:
        self.prompts = moods
        self.capacity = capacity
        self.ready: dict[str, deque[Track]] = {mood: deque() for mood in moods}
        self.pending = dict.fromkeys(moods, 0)
        self.generated = self.failed = self.misses = 0
        self._mood_of_prompt = {prompt: mood for mood, prompt in moods.items()}
        self._changed = anyio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def _neediest(self) -> str | None:
        counts = {mood: len(self.ready[mood]) + self.pending[mood] for mood in self.prompts}
        mood = min(counts, key=lambda m: counts[m])
        return mood if counts[mood] < self.capacity else None

    async def requests(self) -> AsyncIterator[TrackRequest]:
        while True:
            mood = self._neediest()
            if mood is None:
                await self._changed.wait()  # everything is full: wait for the game to take one
                continue
            self.pending[mood] += 1
            yield TrackRequest(LOOP_SECONDS, prompt=self.prompts[mood], mode="loop")

    def add(self, prompt: str | None, track: Track | None) -> None:
        """A generation finished: ``track`` is None when it failed (it is asked for again)."""
        mood = self._mood_of_prompt[prompt or ""]
        self.pending[mood] -= 1
        if track is None:
            self.failed += 1
        else:
            self.ready[mood].append(track)
            self.generated += 1
        self._notify()

    def take(self, mood: str) -> Track | None:
        """The next ready loop of ``mood`` (None: none ready yet; keep the current music)."""
        if not self.ready[mood]:
            self.misses += 1
            return None
        track = self.ready[mood].popleft()
        self._notify()
        return track

    async def wait_until_stocked(self) -> None:
        """Wait for at least one loop of every mood (the loading screen)."""
        while not all(self.ready.values()):
            await self._changed.wait()

    @property
    def abandoned(self) -> int:
        """Requests handed to the refill whose result never came (the game shut down)."""
        return sum(self.pending.values())

    def describe(self) -> str:
        return " ".join(
            f"{mood}={len(self.ready[mood])}+{self.pending[mood]}" for mood in self.prompts
        )


async def refill(client: MubertClient, buffer: LoopBuffer) -> None:
    """Keep the buffer topped up, forever; cancelling this cancels the generations too."""
    async with client.tracks.generate_many(buffer.requests()) as run:
        async for result in run:
            if result.request is not None:  # None only for an invalid input item
                buffer.add(result.request.prompt, result.track)
            if result.error is not None:
                print(f"  [refill] a loop failed ({result.error}); asking again")


async def game_loop(client: MubertClient, buffer: LoopBuffer) -> None:
    """The simulated game: zones change the loop playing, events the stream's intensity."""
    mood = ""
    playing: Track | None = None
    for tick in range(TICKS):
        entered = ZONES.get(tick, mood) != mood
        if entered:
            mood = ZONES[tick]
            loop = buffer.take(mood)
            if loop is not None:
                playing = loop
                print(f"tick {tick:2}: enter a {mood} zone  -> play loop {loop.id[:8]}")
            else:
                current = playing.id[:8] if playing else "nothing"
                print(f"tick {tick:2}: enter a {mood} zone  -> no loop ready, keep {current}")
        if tick in EVENTS:
            event, intensity = EVENTS[tick]
            await client.streaming.set_intensity(intensity)
            print(f"tick {tick:2}: {event} -> stream intensity {intensity.value}")
        await anyio.sleep(TICK_SECONDS)
        if entered:  # by now the refill has noticed
            print(
                f"         loops ready+pending {buffer.describe()}; "
                f"generations in flight {client.generations_in_flight}"
            )
    print(f"game over after {TICKS} ticks")


async def play(client: MubertClient) -> LoopBuffer:
    limit = client.max_concurrent_generations
    print(f"concurrency limit of this customer: {limit if limit is not None else 'learning'}")
    playlist = (await client.playlists.list())[0]
    stream_url = await client.streaming.get_link(playlist.playlist_index, intensity="low")
    # The link's query carries the customer's access token: give it to players, don't log it.
    print(f"live stream of {playlist.channel}: {stream_url.split('?')[0]}?...")

    buffer = LoopBuffer(MOODS, LOOPS_PER_MOOD)
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(refill, client, buffer)
        with anyio.fail_after(30):
            await buffer.wait_until_stocked()
        print(f"loading done: {buffer.describe()}, in flight {client.generations_in_flight}")
        await game_loop(client, buffer)
        tasks.cancel_scope.cancel()  # shut down: stops the refill and its generations
    print(
        f"shut down: {client.generations_in_flight} generations in flight, "
        f"{buffer.generated} loops generated, {buffer.failed} failed, "
        f"{buffer.misses} buffer misses, {buffer.abandoned} abandoned; "
        f"left ready+pending {buffer.describe()}"
    )
    return buffer


async def main() -> None:
    parser = argparse.ArgumentParser(description="Game server sketch with Mubert loops.")
    parser.add_argument("--real", action="store_true", help="use the real API (env credentials)")
    args = parser.parse_args()

    if args.real:
        async with MubertServiceClient() as service:
            try:
                customer = await service.customers.get_by_custom_id("game-server")
            except NotFoundError:
                customer = await service.customers.create("game-server")
            await play(service.customer_client(customer))
        return

    fake = FakeMubert(generation_time=0.5, failure_rate=0.05, seed=3)
    fake.set_license_limits(max_concurrent_track_generations=SIM_LIMIT)
    # Two creates whose answers are lost after the server made the track: the SDK finds
    # those tracks instead of creating (and paying for) them twice.
    fake.faults.add(Fault("reset_after", method="POST", path=r"/public/tracks$", times=2))
    async with MubertServiceClient(
        fake.company_id, fake.license_token, transport=fake.transport()
    ) as service:
        customer = await service.customers.create("game-server")
        # The customer record carries the license's limit: the client stays within it.
        buffer = await play(service.customer_client(customer))
    stats = fake.stats
    print(
        f"simulator: {stats.creates} tracks created, {stats.faults_injected} answers lost, "
        f"{stats.concurrency_rejections} concurrency refusals, "
        f"peak {fake.peak_in_flight} generations in flight (license limit {SIM_LIMIT})"
    )
    assert fake.peak_in_flight <= SIM_LIMIT, "the license's concurrency limit was exceeded"
    # Each request made at most one track, lost answers or not (abandoned ones may have none).
    assert stats.creates <= buffer.generated + buffer.failed + buffer.abandoned
    print(f"OK: peak in flight {fake.peak_in_flight} <= limit {SIM_LIMIT}, no track made twice")


if __name__ == "__main__":
    anyio.run(main)
