"""``mubert --sim mcp``: the whole server offline on the simulator, over stdio and local HTTP."""

from __future__ import annotations

import pathlib
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import anyio
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import TOOLS, base_env, recorded, server_params, text_of

from mubert_async.cli._app import run

# Distinctive values in the environment: --sim ignores them and must never show them.
DECOYS = {
    "MUBERT_CUSTOMER_ID": "cust-DECOY-ID-3c9a71",
    "MUBERT_ACCESS_TOKEN": "tok-DECOY-ACCESS-9e12f0",
}
GENERATION_TIME = 0.2


async def test_sim_batch_of_10_inside_a_limit_of_2(tmp_path: pathlib.Path) -> None:
    params = server_params(
        "--sim",
        "--sim-generation-time",
        str(GENERATION_TIME),
        "mcp",
        "--sim-max-concurrent",
        "2",
        "--out",
        str(tmp_path / "music"),
        env={**base_env(), **DECOYS},
    )
    messages: list[str] = []
    requests = [{"prompt": f"piece {i}", "duration": 10} for i in range(10)]
    errlog_path = tmp_path / "stderr.txt"
    with anyio.fail_after(60), errlog_path.open("w") as errlog:
        async with recorded(params, errlog, messages) as session:
            assert {tool.name for tool in (await session.list_tools()).tools} == TOOLS
            started = anyio.current_time()
            result = await session.call_tool("generate_tracks", {"requests": requests})
            elapsed = anyio.current_time() - started
    stderr = errlog_path.read_text()
    assert not result.is_error, text_of(result)
    batch = result.structured_content
    assert batch is not None and batch["succeeded"] == 10
    assert all(pathlib.Path(i["track"]["path"]).is_file() for i in batch["results"])
    assert elapsed >= 5 * GENERATION_TIME  # two at a time: at least five rounds
    # On exit the simulator reports its own counters (stderr).
    summary = re.search(r"(\d+) tracks created, at most (\d+) generating at once", stderr)
    assert summary is not None, stderr
    assert summary.groups() == ("10", "2")
    for secret in DECOYS.values():
        assert all(secret not in message for message in messages) and secret not in stderr


def test_sim_max_concurrent_needs_sim(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["mcp", "--sim-max-concurrent", "2"]) == 2
    assert "--sim-max-concurrent needs --sim" in capsys.readouterr().err


def test_missing_credentials_stop_before_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("MUBERT_CUSTOMER_ID", "MUBERT_ACCESS_TOKEN", "MUBERT_ENV_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert run(["mcp"]) == 2
    err = capsys.readouterr().err
    assert "MUBERT_CUSTOMER_ID" in err and "--sim" in err


def test_without_the_extra_the_command_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "mubert_async.mcp_server", None)
    assert run(["--sim", "mcp"]) == 2
    assert 'pip install "mubert-async[mcp]"' in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _listening_addresses(port: int) -> set[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp*), hex as the kernel writes."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = pathlib.Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


@pytest.fixture
def http_server() -> Iterator[int]:
    """``mubert --sim mcp --http PORT`` running in the background; yields the port."""
    port = _free_port()
    sim = ("--sim", "--sim-generation-time", "0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "mubert_async.cli", *sim, "mcp", "--http", str(port)],
        env={**base_env(), **DECOYS},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not _accepts(port):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
        for secret in DECOYS.values():
            assert secret not in stderr


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


async def test_http_serves_streamable_http_on_loopback_only(http_server: int) -> None:
    listening = _listening_addresses(http_server)
    if listening:  # Linux: the only listening socket is 127.0.0.1
        assert listening == {"0100007F"}
    url = f"http://127.0.0.1:{http_server}/mcp"
    with anyio.fail_after(30):
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            assert {tool.name for tool in (await s.list_tools()).tools} == TOOLS
            result = await s.call_tool("generate_track", {"prompt": "x", "duration": 10})
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    assert result.structured_content["status"] == "done"


async def test_sim_summary_and_limit_belong_to_the_run(
    tmp_path: pathlib.Path, sim_state: pathlib.Path
) -> None:
    """``--sim`` keeps its tracks between runs; the exit summary and the limit are the run's."""

    async def session(*mcp_args: str, prompts: list[str]) -> str:
        params = server_params(
            "--sim", "--sim-generation-time", "0.2", "mcp", *mcp_args, env=base_env()
        )
        errlog_path = tmp_path / "stderr.txt"
        requests = [{"prompt": prompt, "duration": 10} for prompt in prompts]
        with anyio.fail_after(60), errlog_path.open("w") as errlog:
            async with recorded(params, errlog, []) as s:
                result = await s.call_tool("generate_tracks", {"requests": requests})
        assert not result.is_error, text_of(result)
        return errlog_path.read_text()

    first = await session("--sim-max-concurrent", "1", prompts=["a", "b"])
    assert "simulator: 2 tracks created, at most 1 generating at once" in first, first
    assert sim_state.is_file()
    second = await session(prompts=["c", "d", "e"])
    assert "simulator: 3 tracks created, at most 3 generating at once" in second, second


def test_out_follows_the_cli_rule(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-o`` is a directory here, as for ``batch``: an audio file name is refused up front."""
    assert run(["--sim", "mcp", "-o", str(tmp_path / "song.mp3")]) == 2
    assert "names a file; this command writes a directory" in capsys.readouterr().err
    assert not (tmp_path / "song.mp3").exists()
