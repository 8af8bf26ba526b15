"""``python -m mubert_async.sim``: arguments, credentials, env file, signals, and a real client."""

from __future__ import annotations

import asyncio
import signal
import socket
import stat
import sys
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from mubert_async import MubertClient, MubertServiceClient, TrackRequest
from mubert_async.sim import main
from mubert_async.sim._cli import _parse as parse
from mubert_async.sim._cli import build_fake, build_parser, run, write_env_file

REPO = Path(__file__).resolve().parents[2]
NAMES = (
    "MUBERT_BASE_URL",
    "MUBERT_COMPANY_ID",
    "MUBERT_LICENSE_TOKEN",
    "MUBERT_CUSTOMER_ID",
    "MUBERT_ACCESS_TOKEN",
)
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and modes")


def credentials(lines: list[str]) -> dict[str, str]:
    """The ``NAME=value`` lines as a dict, checking their names and order."""
    pairs = [line.rstrip("\n").split("=", 1) for line in lines]
    assert [name for name, _ in pairs] == list(NAMES)
    return dict(pairs)  # type: ignore[arg-type]


@asynccontextmanager
async def simulator(*args: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[str]]]:
    """``python -m mubert_async.sim --port 0 ARGS`` and its first five stdout lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mubert_async.sim",
        "--port",
        "0",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        lines = [(await asyncio.wait_for(process.stdout.readline(), 20)).decode() for _ in NAMES]
        yield process, lines
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.communicate(), 10)


# -- the acceptance test: a subprocess, a real client over HTTP, real WAV files --------


@posix_only
async def test_a_real_client_generates_and_downloads_from_the_subprocess(tmp_path: Path) -> None:
    env_file = tmp_path / "sim.env"
    async with simulator("--generation-time", "0.2", "--env-file", str(env_file)) as (
        process,
        lines,
    ):
        creds = credentials(lines)
        assert creds["MUBERT_BASE_URL"].startswith("http://127.0.0.1:")
        assert credentials(env_file.read_text().splitlines()) == creds
        assert stat.S_IMODE(env_file.stat().st_mode) == 0o600

        requests = [
            TrackRequest(5, playlist_index="1.0.0", format="wav", bpm=90, key="Am"),
            TrackRequest(8, prompt="rain on a tin roof", format="wav", intensity="low"),
            TrackRequest(10, playlist_index="2.0.1", format="wav", intensity="high"),
        ]
        client = MubertClient(
            creds["MUBERT_CUSTOMER_ID"],
            creds["MUBERT_ACCESS_TOKEN"],
            base_url=creds["MUBERT_BASE_URL"],
        )
        async with client:
            results = [r async for r in client.tracks.generate_many(requests)]
            assert sorted(r.index for r in results) == [0, 1, 2]
            paths = {}
            for result in results:
                assert result.error is None and result.track is not None
                paths[result.index] = await client.tracks.download(result.track, tmp_path)
        for index, path in paths.items():
            with wave.open(str(path)) as audio:
                seconds = audio.getnframes() / audio.getframerate()
            assert seconds == pytest.approx(requests[index].duration, abs=1)

        process.terminate()  # SIGTERM
        _, err = await asyncio.wait_for(process.communicate(), 5)
        assert process.returncode == 0
        assert b"Traceback" not in err and b"stopped" in err


@posix_only
async def test_ctrl_c_stops_the_subprocess_cleanly() -> None:
    async with simulator("--seed", "1") as (process, lines):
        assert lines[0].startswith("MUBERT_BASE_URL=http://127.0.0.1:")
        process.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(process.communicate(), 5)
    assert process.returncode == 0
    assert b"Traceback" not in err and b"stopped" in err


# -- arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--error-rate", "1.5"], "--error-rate: must be between 0 and 1"),
        (["--reset-rate", "-0.1"], "--reset-rate: must be between 0 and 1"),
        (["--failure-rate", "often"], "--failure-rate: expected a number"),
        (["--generation-time", "-1"], "--generation-time: must not be negative"),
        (["--slow-delay", "nan"], "--slow-delay: expected a finite number"),
        (["--max-concurrent", "0"], "--max-concurrent: must be at least 1"),
        (["--daily-tracks", "-3"], "--daily-tracks: must not be negative"),
        (["--total-tracks", "2.5"], "--total-tracks: expected a whole number"),
        (["--port", "70000"], "--port: must be between 0 and 65535"),
        (["--host", "192.0.2.1"], "not a loopback address"),
        (["--host", "0.0.0.0"], "not a loopback address"),
        (["--error-rate", "0.6", "--malformed-rate", "0.5"], "fault rates add up to 1.1"),
        (["--no-such-option"], "unrecognized arguments"),
    ],
)
def test_invalid_arguments_exit_2(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert complaint in err and err.startswith("Usage: python -m mubert_async.sim")


def test_help_exits_0_and_names_every_knob(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"], prog="mubert sim") == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: mubert sim [OPTIONS]")
    flags = [
        *("--host", "--port", "--env-file", "--verbose"),
        *("--generation-time", "--failure-rate", "--seed"),
        *("--max-concurrent", "--customer-max-concurrent", "--max-duration"),
        *("--daily-tracks", "--monthly-tracks", "--total-tracks", "--customers-limit"),
        *("--error-rate", "--rate-limit-rate", "--retry-after", "--reset-rate"),
        *("--slow-rate", "--slow-delay", "--malformed-rate"),
    ]
    assert all(flag in out for flag in flags)


def test_a_taken_port_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    assert "error" in capsys.readouterr().err


async def test_options_shape_the_license() -> None:
    args = parse(
        build_parser(),
        [
            "--max-concurrent=4",
            "--customer-max-concurrent=2",
            "--daily-tracks=10",
            "--monthly-tracks=100",
            "--total-tracks=1000",
            "--max-duration=120",
            "--customers-limit=5",
            "--error-rate=0.25",
            "--seed=3",
        ],
    )
    fake, customer = build_fake(args)
    assert customer.custom_id == "sim-user" and len(fake.faults) == 3  # 500, 502, 503
    fake.faults.clear()
    async with fake.service_client() as service:
        (license_,) = await service.licenses.list()
        me = await service.customers.get(customer.id)
    limits = license_.license_limits
    assert limits is not None
    assert (limits.max_concurrent_track_generations, limits.max_track_duration) == (4, 120)
    assert (limits.daily_tracks_count_limit, limits.monthly_tracks_count_limit) == (10, 100)
    assert (limits.total_tracks_count_limit, limits.customers_count_limit) == (1000, 5)
    assert limits.customers_count == 1
    assert me.access is not None and me.access.customer_limits is not None
    assert me.access.customer_limits.max_concurrent_track_generations == 2


def test_defaults_leave_the_license_unlimited() -> None:
    fake, _ = build_fake(parse(build_parser(), []))
    values = fake._engine.license.limits.values
    assert values["max_concurrent_track_generations"] == -1
    assert values["daily_tracks_count_limit"] == -1
    assert len(fake.faults) == 0


# -- the env file ------------------------------------------------------------------------


@posix_only
def test_env_file_is_private_even_when_it_existed(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("OLD=1\n")
    path.chmod(0o644)
    write_env_file(path, ["A=1", "B=2"])
    assert path.read_text() == "A=1\nB=2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left


def test_an_unwritable_env_file_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--port", "0", "--env-file", str(tmp_path / "missing" / "x.env")]) == 1
    assert "error" in capsys.readouterr().err


# -- in process -------------------------------------------------------------------------


async def test_run_prints_the_block_then_serves_until_stopped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse(build_parser(), ["--port", "0", "--seed", "5", "--verbose"])
    stop = asyncio.Event()
    task = asyncio.create_task(run(args, stop))
    out = ""
    for _ in range(200):
        await asyncio.sleep(0.01)
        out += capsys.readouterr().out
        if out.count("\n") >= len(NAMES):
            break
    creds = credentials(out.splitlines())
    async with (
        MubertServiceClient(
            creds["MUBERT_COMPANY_ID"],
            creds["MUBERT_LICENSE_TOKEN"],
            base_url=creds["MUBERT_BASE_URL"],
        ) as service,
        aiohttp.ClientSession() as http,
    ):
        (customer,) = (await service.customers.list()).data
        assert customer.id == creds["MUBERT_CUSTOMER_ID"]
        url = creds["MUBERT_BASE_URL"] + "/public/playlists"
        auth = {"customer-id": customer.id, "access-token": creds["MUBERT_ACCESS_TOKEN"]}
        async with http.get(url, headers=auth) as response:
            assert response.status == 200
    stop.set()
    await asyncio.wait_for(task, 5)
    err = capsys.readouterr().err
    assert "GET /api/v3/public/playlists -> 200" in err
    assert creds["MUBERT_ACCESS_TOKEN"] not in err and creds["MUBERT_LICENSE_TOKEN"] not in err
    assert err.rstrip().endswith("Mubert simulator stopped.")
