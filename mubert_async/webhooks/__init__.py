"""Webhooks: receive the tracks Mubert posts when their generation changes state.

``WebhookReceiver`` authenticates deliveries by the secret token that ends its URL,
caps their size, decodes them into ``Track`` and ignores duplicates and out-of-order
ones. Mount ``receiver.aiohttp_app()`` (or ``receiver.aiohttp_handler``) in aiohttp.web,
or answer ``await receiver.handle(token, body)`` in any other framework; learn of
deliveries with ``wait_for``, ``latest`` or ``add_listener``. On the in-memory fake:

.. code-block:: python

    from mubert_async.testing import FakeMubert
    from mubert_async.webhooks import WebhookReceiver

    fake = FakeMubert(generation_time=0.1)
    receiver = WebhookReceiver()  # a secret token is generated
    async with fake.service_client() as service:
        await receiver.register(service, fake.license_id, "https://example.com/mubert")
    async with fake.client() as client, fake.deliver_webhooks(receiver):
        track = await client.tracks.create(prompt="rain", duration=30)
        done = await receiver.wait_for(track.id, timeout=5)
    assert done.status == "done"
"""

from ._freshness import is_final
from ._receiver import Listener, WebhookReceiver, WebhookStats

__all__ = ["Listener", "WebhookReceiver", "WebhookStats", "is_final"]
