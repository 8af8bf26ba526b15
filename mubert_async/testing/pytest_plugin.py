"""Pytest fixtures for code that uses mubert-async, loaded automatically (entry point ``pytest11``).

``mubert_fake`` (a ``FakeMubert`` on ``mubert_clock``, a ``ManualClock``),
``mubert_client`` (a ``MubertClient`` of a customer of that fake) and ``mubert_service``
(a ``MubertServiceClient`` of its company) retry and poll after milliseconds instead of
seconds (``FAST_RETRY``, ``FAST_POLL``), and resend a lost create after one look
(``FAST_RECONCILE``: the fake stores every create at once). Nothing here is autouse
and nothing is imported before a fixture is requested, so the plugin costs nothing in
test runs that do not use it.

The fixtures are synchronous: they work the same under pytest-asyncio and anyio's plugin.
The clients need no closing (the fake's transport holds no connections).
Override ``mubert_fake`` in a ``conftest.py`` to start from other settings.

Loading the plugin imports ``mubert_async`` as pytest starts, before pytest-cov measures:
only a project measuring the coverage of ``mubert_async`` itself minds. It turns the entry
point off (``-p no:mubert_async``) and lists this module in ``pytest_plugins`` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mubert_async import MubertClient, MubertServiceClient
    from mubert_async.testing import FakeMubert, ManualClock

__all__ = ["mubert_client", "mubert_clock", "mubert_fake", "mubert_service"]


@pytest.fixture
def mubert_clock() -> ManualClock:
    """The fake's clock: time moves only with ``mubert_clock.advance(seconds)``."""
    from mubert_async.testing import ManualClock

    return ManualClock()


@pytest.fixture
def mubert_fake(mubert_clock: ManualClock) -> FakeMubert:
    """A fresh in-memory Mubert on ``mubert_clock``; generations finish at once by default."""
    from mubert_async.testing import FakeMubert

    return FakeMubert(clock=mubert_clock)


@pytest.fixture
def mubert_client(mubert_fake: FakeMubert) -> MubertClient:
    """A ``MubertClient`` of ``mubert_fake``'s default customer, with fast retries and polls."""
    from mubert_async.testing import FAST_POLL, FAST_RECONCILE, FAST_RETRY

    return mubert_fake.client(retry=FAST_RETRY, poll=FAST_POLL, reconcile=FAST_RECONCILE)


@pytest.fixture
def mubert_service(mubert_fake: FakeMubert) -> MubertServiceClient:
    """A ``MubertServiceClient`` of ``mubert_fake``'s company, with fast retries."""
    from mubert_async.testing import FAST_RETRY

    return mubert_fake.service_client(retry=FAST_RETRY)
