"""An aiohttp.web service that generates music for its users through Mubert.

What it shows:

* one ``MubertServiceClient`` per process, opened at startup and closed at cleanup
  (``app.cleanup_ctx``), shared by every request;
* one Mubert customer per end user of the service, looked up by your own user id
  (``customers.get_by_custom_id``, or ``customers.create`` the first time) and cached;
* ``service.customer_client(customer).tracks.generate(...)``: create + wait, inside that
  customer's concurrency limit;
* SDK errors mapped to HTTP statuses with JSON bodies that never carry credentials:
  bad input 400, a used-up quota 429, anything else from Mubert 502.

The API::

    POST /users/{user_id}/tracks   {"prompt": "calm piano", "duration": 30}   (duration optional)
    -> 200 {"id": ..., "status": "done", "url": ..., "duration": 30}

Run it on the built-in simulator (no credentials, no network; the default when
MUBERT_COMPANY_ID is not set). The simulated license gives each user 3 tracks a day::

    python examples/aiohttp_service.py                # serves on http://127.0.0.1:8080
    curl -X POST localhost:8080/users/alice/tracks -d '{"prompt": "lofi", "duration": 30}'
    python examples/aiohttp_service.py --self-test    # start, send a few requests, stop

Against the real API, with your company credentials::

    MUBERT_COMPANY_ID=... MUBERT_LICENSE_TOKEN=... python examples/aiohttp_service.py
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from mubert_async import (
    Customer,
    InvalidRequestError,
    MubertError,
    MubertServiceClient,
    NotFoundError,
    QuotaExceededError,
    TrackRequest,
    ValidationError,
)
from mubert_async.sim import serve
from mubert_async.testing import FakeMubert

log = logging.getLogger("mubert_service")

TRACK_FIELDS = frozenset({"prompt", "duration", "intensity", "mode", "format", "bitrate"})
"""What a client of this service may ask for; anything else in the body is refused."""
GENERATION_TIMEOUT = 120.0
"""Seconds a request waits for its track before giving up (the SDK's default is 900)."""
SIM_TRACKS_PER_DAY = 3
"""The simulated license's daily track quota per user, so that 429 can be seen."""


class CustomerDirectory:
    """Your users' Mubert customers: found or created on first use, then cached.

    A lock per user makes concurrent first requests of one user provision it once.
    """

    def __init__(self, service: MubertServiceClient) -> None:
        self._service = service
        self._customers: dict[str, Customer] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def get(self, user_id: str) -> Customer:
        customer = self._customers.get(user_id)
        if customer is not None:
            return customer
        async with self._locks.setdefault(user_id, asyncio.Lock()):
            customer = self._customers.get(user_id)
            if customer is None:
                try:
                    customer = await self._service.customers.get_by_custom_id(user_id)
                except NotFoundError:
                    customer = await self._service.customers.create(user_id)
                    log.info("created Mubert customer %s for user %s", customer.id, user_id)
                self._customers[user_id] = customer
            return customer


@dataclass(frozen=True)
class Simulator:
    """Where the simulator listens, and its throwaway credentials."""

    base_url: str
    company_id: str
    license_token: str


SERVICE = web.AppKey("mubert_service", MubertServiceClient)
CUSTOMERS = web.AppKey("mubert_customers", CustomerDirectory)
SIMULATOR = web.AppKey("mubert_simulator", Simulator)


# -- the Mubert client's lifetime: one per process ------------------------------------


async def simulator(app: web.Application) -> AsyncIterator[None]:
    """Serve a ``FakeMubert`` over HTTP on 127.0.0.1 while the app runs (a cleanup context)."""
    fake = FakeMubert(generation_time=0.3, seed=None)
    fake.set_license_limits(customer_daily_tracks_count_limit=SIM_TRACKS_PER_DAY)
    runner, base_url = await serve(fake, "127.0.0.1", 0)
    print(f"Mubert simulator on {base_url}", flush=True)
    app[SIMULATOR] = Simulator(base_url, fake.company_id, fake.license_token)
    try:
        yield
    finally:
        await runner.cleanup()


async def mubert_client(app: web.Application) -> AsyncIterator[None]:
    """The service's one ``MubertServiceClient``: created at startup, closed at cleanup.

    Against the real API the credentials come from MUBERT_COMPANY_ID and
    MUBERT_LICENSE_TOKEN (and MUBERT_BASE_URL, if set).
    """
    sim = app.get(SIMULATOR)
    if sim is None:
        service = MubertServiceClient()
    else:
        service = MubertServiceClient(sim.company_id, sim.license_token, base_url=sim.base_url)
    async with service:
        app[SERVICE] = service
        app[CUSTOMERS] = CustomerDirectory(service)
        yield


# -- HTTP -----------------------------------------------------------------------------


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


@web.middleware
async def mubert_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """SDK errors as HTTP answers. SDK messages never contain credentials, and upstream
    details beyond the error code stay in the log rather than going to the caller."""
    try:
        return await handler(request)
    except InvalidRequestError as exc:  # caught by the SDK before anything was sent
        return error(400, "invalid_request", str(exc), field=exc.field)
    except ValidationError as exc:  # refused by Mubert as invalid (422)
        return error(400, "invalid_request", exc.message, fields=exc.errors)
    except QuotaExceededError as exc:
        return error(
            429, "quota_exceeded", "track quota used up", period=exc.period, limit=exc.limit
        )
    except MubertError as exc:
        log.warning("Mubert call failed: %r", exc)
        return error(502, "upstream_error", "the music service failed", kind=type(exc).__name__)


async def create_track(request: web.Request) -> web.Response:
    """POST /users/{user_id}/tracks: generate a track for the user and return it when done."""
    try:
        body = await request.json()
    except ValueError:
        return error(400, "invalid_json", "the body must be a JSON object")
    if not isinstance(body, dict):
        return error(400, "invalid_json", "the body must be a JSON object")
    unknown = sorted(set(body) - TRACK_FIELDS)
    if unknown:
        return error(400, "invalid_request", f"unknown fields: {', '.join(unknown)}")
    fields = {"duration": 30, **body}
    TrackRequest(**fields)  # checks the fields (InvalidRequestError) before any customer is made

    customer = await request.app[CUSTOMERS].get(request.match_info["user_id"])
    client = request.app[SERVICE].customer_client(customer)
    track = await client.tracks.generate(timeout=GENERATION_TIMEOUT, **fields)
    return web.json_response(
        {"id": track.id, "status": track.status, "url": track.url, "duration": track.duration}
    )


def create_app(*, sim: bool) -> web.Application:
    app = web.Application(middlewares=[mubert_errors])
    if sim:
        app.cleanup_ctx.append(simulator)  # before the client: it must be up first
    app.cleanup_ctx.append(mubert_client)
    app.router.add_post("/users/{user_id}/tracks", create_track)
    return app


# -- --self-test: run the service, call it, stop --------------------------------------


async def self_test(app: web.Application, *, sim: bool) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()  # runs the cleanup contexts' startup halves
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}"
        print(f"service on {url}")
        async with aiohttp.ClientSession(url) as http:

            async def post(user: str, body: object) -> tuple[int, dict[str, Any]]:
                async with http.post(f"/users/{user}/tracks", json=body) as response:
                    answer: dict[str, Any] = await response.json()
                    print(f"POST /users/{user}/tracks {body} -> {response.status} {answer}")
                    return response.status, answer

            # Two users, two tracks each, all at once.
            results = await asyncio.gather(
                post("alice", {"prompt": "calm piano in the rain", "duration": 30}),
                post("alice", {"prompt": "lofi beats to study to", "duration": 30}),
                post("bob", {"prompt": "epic orchestral battle", "duration": 30}),
                post("bob", {"prompt": "retro synthwave drive", "duration": 30, "mode": "loop"}),
            )
            assert all(status == 200 for status, _ in results), results
            assert all(answer["status"] == "done" and answer["url"] for _, answer in results)

            status, answer = await post("alice", {"prompt": "too short", "duration": 1})
            assert status == 400, answer
            status, answer = await post("not a valid id", {"prompt": "x", "duration": 30})
            assert status == 400, answer

            if sim:  # the simulated license allows SIM_TRACKS_PER_DAY tracks per user
                status, _ = await post("bob", {"prompt": "one more", "duration": 30})
                assert status == 200
                status, answer = await post("bob", {"prompt": "over quota", "duration": 30})
                assert status == 429, answer
        print("self-test passed")
    finally:
        await runner.cleanup()  # closes the Mubert client (and the simulator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sim", action="store_true", help="use the built-in simulator")
    mode.add_argument("--real", action="store_true", help="use the real API (env credentials)")
    parser.add_argument("--self-test", action="store_true", help="start, send requests, stop")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    sim = args.sim or (not args.real and not os.environ.get("MUBERT_COMPANY_ID"))

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(sim=sim)
    if args.self_test:
        asyncio.run(self_test(app, sim=sim))
    else:
        web.run_app(app, host=args.host, port=args.port)  # until Ctrl-C


if __name__ == "__main__":
    main()
