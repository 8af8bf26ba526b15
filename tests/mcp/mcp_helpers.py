"""Helpers of the MCP server tests: an in-process harness on FakeMubert, and result readers."""

from __future__ import annotations

import json
import pathlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from mcp import Client
from mcp.types import CallToolResult, TextContent

from mubert_async import MubertClient
from mubert_async.cli._output import Redactor
from mubert_async.mcp_server import Backend, build_server
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
