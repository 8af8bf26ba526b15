"""Shared limits, generation timings and webhook relays, in process or across processes.

``InProcessCoordination`` (the default) shares them within one process;
``mubert_async.redis.RedisCoordination`` (extra ``redis``) across processes and machines.
"""

from ._base import (
    TIMINGS_WINDOW,
    Coordination,
    DeliveryRelay,
    Lease,
    SharedSemaphore,
    SharedTimings,
)
from ._memory import InProcessCoordination

__all__ = [
    "TIMINGS_WINDOW",
    "Coordination",
    "DeliveryRelay",
    "InProcessCoordination",
    "Lease",
    "SharedSemaphore",
    "SharedTimings",
]
