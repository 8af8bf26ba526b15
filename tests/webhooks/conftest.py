"""Fixtures of the webhook tests (this folder is on sys.path: ``import webhook_bodies``)."""

from __future__ import annotations

import pytest

from mubert_async.webhooks import WebhookReceiver


@pytest.fixture
def receiver() -> WebhookReceiver:
    return WebhookReceiver()
