"""Helpers of the MCP server tests: an in-process harness on FakeMubert, and result readers."""

from __future__ import annotations

import json
import os
import pathlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import anyio
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.message import SessionMessage
from mcp.types import CallToolResult, TextContent, Tool

from mubert_async import MubertClient
from mubert_async._redaction import Redactor
from mubert_async.mcp_server import Backend, build_server
from mubert_async.sim import serve
from mubert_async.testing import FakeCustomer, FakeMubert

TOOLS = {
    "generate_track",
    "generate_tracks",
    "get_track",
    "list_tracks",
    "list_playlists",
    "library_params",
    "download_track",
}


@dataclass
class Harness:
    """An MCP client talking in process to ``build_server`` on a FakeMubert customer."""

    fake: FakeMubert
    customer: FakeCustomer
    client: MubertClient
    mcp: Client
    out: pathlib.Path | None
    progress: list[tuple[float, float | None, str | None]] = field(default_factory=list)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials no answer may contain."""
        return (self.customer.id, self.customer.access_token, self.fake.license_token)

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> CallToolResult:
        """Call tool ``name``, recording its progress notifications."""

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            self.progress.append((progress, total, message))

        return await self.mcp.call_tool(name, arguments or {}, progress_callback=on_progress)


@asynccontextmanager
async def harness(
    out: pathlib.Path | None, *, limit: int = 2, generation_time: float = 0.05
) -> AsyncIterator[Harness]:
    """A Harness whose simulated license allows ``limit`` generations at once."""
    fake = FakeMubert(generation_time=generation_time, seed=None)
    customer = fake.add_customer("agent")
    fake.set_license_limits(max_concurrent_track_generations=limit)
    redactor = Redactor([customer.id, customer.access_token, fake.license_token])
    async with fake.client(customer) as client:
        app = build_server(Backend(client, redactor, out))
        async with Client(app) as mcp:
            yield Harness(fake, customer, client, mcp, out)


def text_of(result: CallToolResult) -> str:
    """All text blocks of a tool result, joined."""
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def data_of(result: CallToolResult) -> Any:
    """The structured result of a successful call."""
    assert not result.is_error, text_of(result)
    if result.structured_content is not None:
        return result.structured_content
    return json.loads(text_of(result))


# -- a real ``mubert mcp`` process over stdio ------------------------------------------

CONVERSATION_TIMEOUT = 90


def base_env() -> dict[str, str]:
    """The test process's environment without any MUBERT_* variable, output unbuffered."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MUBERT_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def server_params(*args: str, env: dict[str, str]) -> StdioServerParameters:
    """``python -m mubert_async.cli ARGS`` as the MCP client launches it."""
    return StdioServerParameters(
        command=sys.executable, args=["-m", "mubert_async.cli", *args], env=env
    )


@dataclass
class Transcript:
    """Everything one scripted session with ``mubert mcp`` saw."""

    tools: dict[str, Tool]
    results: dict[str, CallToolResult]
    progress: dict[str, list[tuple[float, float | None, str | None]]]
    resources: dict[str, str]
    messages: list[str]
    """Every JSON-RPC message the server sent, as JSON."""
    stderr: str
    secrets: tuple[str, ...]
    out: pathlib.Path
    peak: int
    rejections: int
    batch_seconds: float


@asynccontextmanager
async def recorded(
    params: StdioServerParameters, errlog: TextIO, messages: list[str]
) -> AsyncIterator[ClientSession]:
    """An initialized ClientSession on a ``mubert mcp`` subprocess; records what it sends."""
    async with stdio_client(params, errlog=errlog) as (read, write):
        tap_send, tap_receive = anyio.create_memory_object_stream[SessionMessage | Exception](16)

        async def forward() -> None:
            async with tap_send:
                async for item in read:
                    if isinstance(item, SessionMessage):
                        messages.append(item.message.model_dump_json(by_alias=True))
                    await tap_send.send(item)

        async with anyio.create_task_group() as group:
            group.start_soon(forward)
            async with ClientSession(tap_receive, write) as session:
                await session.initialize()
                yield session
            group.cancel_scope.cancel()


async def converse(work: pathlib.Path) -> Transcript:
    """Serve FakeMubert over HTTP, run ``mubert mcp --out`` on it and call every tool."""
    fake = FakeMubert(generation_time=0.25, seed=None)
    customer = fake.add_customer("agent")
    fake.set_license_limits(max_concurrent_track_generations=2)
    runner, base_url = await serve(fake)
    env = {
        **base_env(),
        "MUBERT_BASE_URL": base_url,
        "MUBERT_CUSTOMER_ID": customer.id,
        "MUBERT_ACCESS_TOKEN": customer.access_token,
        "MUBERT_COMPANY_ID": fake.company_id,
        "MUBERT_LICENSE_TOKEN": fake.license_token,
    }
    secrets = (customer.id, customer.access_token, fake.company_id, fake.license_token)
    out = work / "music"
    messages: list[str] = []
    results: dict[str, CallToolResult] = {}
    progress: dict[str, list[tuple[float, float | None, str | None]]] = {}
    resources: dict[str, str] = {}
    errlog_path = work / "stderr.txt"
    params = server_params("mcp", "--out", str(out), env=env)
    try:
        with anyio.fail_after(CONVERSATION_TIMEOUT), errlog_path.open("w") as errlog:
            async with recorded(params, errlog, messages) as session:

                async def call(label: str, name: str, arguments: dict[str, Any]) -> Any:
                    seen = progress.setdefault(label, [])

                    async def on_progress(
                        value: float, total: float | None, text: str | None
                    ) -> None:
                        seen.append((value, total, text))

                    result = await session.call_tool(name, arguments, progress_callback=on_progress)
                    results[label] = result
                    return result.structured_content

                tools = {tool.name: tool for tool in (await session.list_tools()).tools}
                for resource in (await session.list_resources()).resources:
                    read = await session.read_resource(resource.uri)
                    resources[str(resource.uri)] = read.contents[0].text  # type: ignore[union-attr]
                track = await call(
                    "generate_track",
                    "generate_track",
                    {"prompt": "calm piano", "duration": 20, "format": "wav"},
                )
                requests = [{"prompt": f"piece {i}", "duration": 10} for i in range(10)]
                started = anyio.current_time()
                await call("generate_tracks", "generate_tracks", {"requests": requests})
                batch_seconds = anyio.current_time() - started
                peak, rejections = fake.peak_in_flight, fake.stats.concurrency_rejections
                await call("get_track", "get_track", {"track_id": track["id"]})
                await call("list_tracks", "list_tracks", {"limit": 50})
                await call("list_playlists", "list_playlists", {"search": "calm"})
                await call("library_params", "library_params", {})
                await call(
                    "download_track", "download_track", {"track_id": track["id"], "format": "wav"}
                )
                await call("bad_duration", "generate_track", {"prompt": "x", "duration": 1})
                await call("bad_type", "generate_track", {"prompt": "x", "duration": "ten"})
                await call("pasted_token", "get_track", {"track_id": customer.access_token})
    finally:
        await runner.cleanup()
    return Transcript(
        tools=tools,
        results=results,
        progress=progress,
        resources=resources,
        messages=messages,
        stderr=errlog_path.read_text(),
        secrets=secrets,
        out=out,
        peak=peak,
        rejections=rejections,
        batch_seconds=batch_seconds,
    )
