"""A worker that receives webhooks over HTTP and relays them through Redis to the others.

``python webhook_worker.py URL NAMESPACE`` with the token in ``MUBERT_TEST_WEBHOOK_TOKEN``
(not on the command line): serves ``receiver.aiohttp_app()`` on 127.0.0.1, a free port,
prints ``port N`` once listening, and stops when its stdin closes.
"""

from __future__ import annotations

import asyncio
import os
import sys

import redis.asyncio
from aiohttp import web

from mubert_async.redis import RedisCoordination
from mubert_async.webhooks import WebhookReceiver


async def main(url: str, namespace: str) -> None:
    client = redis.asyncio.Redis.from_url(url)
    coordination = RedisCoordination(client, namespace=namespace)
    receiver = WebhookReceiver(os.environ["MUBERT_TEST_WEBHOOK_TOKEN"], coordination=coordination)
    runner = web.AppRunner(receiver.aiohttp_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert isinstance(server, asyncio.Server)
    print("port", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until closed
    await runner.cleanup()
    await coordination.aclose()
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
