"""Webhooks: receive the tracks Mubert posts when their generation changes state.

::

    from mubert_async.webhooks import WebhookReceiver

    receiver = WebhookReceiver()                      # a secret token is generated
    await receiver.register(service, license_id, "https://example.com/mubert")
    app.add_subapp("/mubert/", receiver.aiohttp_app())   # or any framework: receiver.handle()
    track = await receiver.wait_for(track_id, timeout=600)

The receiver authenticates deliveries by the token in the URL path, caps their size,
decodes them into ``Track`` and ignores duplicates and out-of-order ones.
"""

from __future__ import annotations

from ._freshness import is_final
from ._receiver import Listener, WebhookReceiver, WebhookStats

__all__ = ["Listener", "WebhookReceiver", "WebhookStats", "is_final"]
