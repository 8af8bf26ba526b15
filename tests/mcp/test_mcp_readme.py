"""The README's "Use from an AI agent" section: its configurations work, its tool list is right."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import sys
from typing import Any

import anyio
import pytest
from mcp import StdioServerParameters
from mcp_helpers import TOOLS, base_env, recorded

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Use from an AI agent")
    return text[start : text.index("\n## ", start + 1)]


def _configs() -> list[dict[str, Any]]:
    blocks = re.findall(r"```json\n(.*?)```", _section(), re.S)
    return [json.loads(block)["mcpServers"] for block in blocks]


def test_the_tool_table_names_every_tool() -> None:
    rows = re.findall(r"^\| (`.+?`) \|", _section(), re.M)
    named = {name for row in rows for name in re.findall(r"`(\w+)`", row)}
    assert named == TOOLS


def test_the_real_configuration_reads_credentials_from_env() -> None:
    real, _sim = _configs()
    server = real["mubert"]
    assert server["command"] == "mubert" and server["args"][0] == "mcp"
    assert set(server["env"]) == {"MUBERT_CUSTOMER_ID", "MUBERT_ACCESS_TOKEN"}


async def test_the_simulator_configuration_runs_as_written(tmp_path: pathlib.Path) -> None:
    _real, sim = _configs()
    server = sim["mubert-sim"]
    command = shutil.which(server["command"], path=str(pathlib.Path(sys.executable).parent))
    if command is None:
        pytest.skip("the mubert console script is not installed next to this Python")
    params = StdioServerParameters(command=command, args=server["args"], env=base_env())
    messages: list[str] = []
    with anyio.fail_after(60), (tmp_path / "stderr.txt").open("w") as errlog:
        async with recorded(params, errlog, messages) as session:
            tools = {tool.name for tool in (await session.list_tools()).tools}
            found = await session.call_tool("list_playlists", {"search": "calm"})
    assert tools == TOOLS
    assert not found.is_error and found.structured_content is not None
