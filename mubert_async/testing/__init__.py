"""Test your Mubert code without the network: an in-memory Mubert v3 simulator.

::

    from mubert_async.testing import FakeMubert, Fault, ManualClock

    clock = ManualClock()
    fake = FakeMubert(clock=clock, generation_time=30)
    fake.set_license_limits(max_concurrent_track_generations=4)
    fake.faults.add(Fault.server_error(path=r"/public/tracks$", times=1))

    async with fake.client() as client:
        track = await client.tracks.create(playlist_index="1.0.0", duration=60)
        clock.advance(30)
        track = await client.tracks.get(track.id)   # done, with a url that serves audio

``fake.transport()`` is a ``Transport`` for any client; ``mubert_async.sim`` serves
the same simulator over HTTP.
"""

from __future__ import annotations

from ._clock import ManualClock
from ._fake import FakeMubert
from ._faults import Fault, FaultSet
from ._model import FakeCustomer, FakeStats
from ._transport import FakeTransport
from ._webhooks import WebhookFaults, WebhookSender

__all__ = [
    "FakeCustomer",
    "FakeMubert",
    "FakeStats",
    "FakeTransport",
    "Fault",
    "FaultSet",
    "ManualClock",
    "WebhookFaults",
    "WebhookSender",
]
