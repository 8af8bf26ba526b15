"""``mubert sim`` counts concurrency like the server: license-wide and per customer, over HTTP.

Every client talking to one simulator shares its counts: two independent HTTP sessions
(two customers) here, and the simulator in its own process.
"""

from __future__ import annotations

import sys
from typing import Any

import aiohttp
import pytest
from test_sim_cli import credentials, simulator

from mubert_async import MubertServiceClient

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX subprocess signals")

CONCURRENCY = "LicenseLimitConcurrentTrackGenerationsCount"


async def create(session: aiohttp.ClientSession, base_url: str) -> tuple[int, dict[str, Any]]:
    async with session.post(
        f"{base_url}/public/tracks", json={"prompt": "rain", "duration": 10}
    ) as response:
        return response.status, await response.json()


def refused_for_concurrency(status: int, body: dict[str, Any], limit: int) -> bool:
    return status == 403 and CONCURRENCY in str(body) and str(limit) in str(body)


async def test_license_and_customer_limits_are_shared_over_http() -> None:
    async with simulator(
        "--generation-time", "60", "--max-concurrent", "3", "--customer-max-concurrent", "2"
    ) as (_, lines):
        creds = credentials(lines)
        base_url = creds["MUBERT_BASE_URL"]
        service = MubertServiceClient(
            creds["MUBERT_COMPANY_ID"], creds["MUBERT_LICENSE_TOKEN"], base_url=base_url
        )
        async with service:
            first = await service.customers.create("first")
            second = await service.customers.create("second")
        sessions = [
            aiohttp.ClientSession(
                headers={"Customer-Id": c.id, "Access-Token": c.access.token}  # type: ignore[union-attr]
            )
            for c in (first, second)
        ]
        try:
            one, two = sessions
            # the customer limit (2): the first customer's third create is refused
            assert [(await create(one, base_url))[0] for _ in range(2)] == [200, 200]
            status, body = await create(one, base_url)
            assert refused_for_concurrency(status, body, 2), body
            # the license limit (3) counts both customers: the other gets one more, not two
            assert (await create(two, base_url))[0] == 200
            status, body = await create(two, base_url)
            assert refused_for_concurrency(status, body, 3), body
            # and the simulator's own customer, from a third client, is refused too
            async with aiohttp.ClientSession(
                headers={
                    "Customer-Id": creds["MUBERT_CUSTOMER_ID"],
                    "Access-Token": creds["MUBERT_ACCESS_TOKEN"],
                }
            ) as three:
                status, body = await create(three, base_url)
            assert refused_for_concurrency(status, body, 3), body
        finally:
            for session in sessions:
                await session.close()
