"""Coordination across processes and machines through Redis (extra ``redis``).

.. code-block:: python

    import redis.asyncio
    from mubert_async.redis import RedisCoordination

    coordination = RedisCoordination(redis.asyncio.Redis.from_url("redis://localhost:6379/0"))
"""

try:
    import redis.asyncio  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "mubert_async.redis needs the redis extra: pip install 'mubert-async[redis]'"
    ) from exc

from ._coordination import RedisCoordination, RedisLease, RedisSemaphore, RedisTimings
from ._relay import RedisRelay

__all__ = ["RedisCoordination", "RedisLease", "RedisRelay", "RedisSemaphore", "RedisTimings"]
