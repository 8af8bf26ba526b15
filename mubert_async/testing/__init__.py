"""Test your Mubert code without the network: an in-memory Mubert v3 simulator.

.. code-block:: python

    from mubert_async.testing import FAST_POLL, FAST_RETRY, FakeMubert, Fault, ManualClock

    clock = ManualClock()
    fake = FakeMubert(clock=clock, generation_time=30)
    fake.set_license_limits(max_concurrent_track_generations=4)
    # the next poll fails once; a GET is retried (a create never is: it may have been billed)
    fake.faults.add(Fault.server_error(503, method="GET", path=r"/public/tracks/", times=1))

    async with fake.client(retry=FAST_RETRY, poll=FAST_POLL) as client:
        track = await client.tracks.create(playlist_index="1.0.0", duration=60)
        clock.advance(30)
        track = await client.tracks.get(track.id)  # done, with a url that serves audio
        assert track.url is not None

``fake.transport()`` is a ``Transport`` for any client; ``mubert_async.sim`` serves
the same simulator over HTTP; both go through ``fake.exchange(request)``. ``FAST_RETRY``
and ``FAST_POLL`` wait milliseconds where the defaults wait seconds; the pytest
plugin's fixtures (``mubert_fake``, ``mubert_client``, ``mubert_service``,
``mubert_clock``) use them.
"""

from ._clock import ManualClock
from ._fake import FakeMubert
from ._faults import Exchange, Fault, FaultSet
from ._model import FakeCustomer, FakeStats
from ._policies import FAST_POLL, FAST_RECONCILE, FAST_RETRY
from ._transport import FakeTransport
from ._webhooks import WebhookFaults, WebhookSender

__all__ = [
    "FAST_POLL",
    "FAST_RECONCILE",
    "FAST_RETRY",
    "Exchange",
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
