"""A worker that takes slots through Redis, queues one more waiter, and waits to be killed.

``python holder_process.py URL NAMESPACE SLOTS LEASE_TTL``: prints ``held`` once it holds
SLOTS slots (of a semaphore limited to SLOTS) and has one more acquire waiting in line.
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio

from mubert_async.redis import RedisCoordination


async def main(url: str, namespace: str, slots: int, lease_ttl: float) -> None:
    client = redis.asyncio.Redis.from_url(url)
    coordination = RedisCoordination(client, namespace=namespace, lease_ttl=lease_ttl)
    semaphore = coordination.semaphore("license", limit=slots)
    leases = [await semaphore.acquire("doomed") for _ in range(slots)]
    waiting = asyncio.ensure_future(semaphore.acquire("doomed"))
    await asyncio.sleep(0.2)  # the waiter joins the line
    print("held", len(leases), flush=True)
    await waiting  # never granted: the process is killed first


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
