"""Shared by the conformance checks: the exclusions, the corrected document, processes, ports."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonpatch

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = [
    "DOCUMENT",
    "REPO",
    "Exclusion",
    "corrected_document",
    "free_port",
    "load_exclusions",
    "running",
    "simulator",
    "summary",
    "wait_for_port",
]

REPO = Path(__file__).resolve().parents[1]
DOCUMENT = REPO / "tests" / "data" / "mubert-openapi-v3.json"
EXCLUSIONS = Path(__file__).with_name("exclusions.toml")
Tool = Literal["schemathesis", "prism"]
_TOOLS = ("schemathesis", "prism")


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One documented contradiction: why, who disagrees, and how the check allows for it.

    ``patch`` is a JSON Patch (RFC 6902) applied to the document before ``tools``
    read it; ``checks`` are Schemathesis check settings for ``operations``
    (``{"positive_data_acceptance": {"expected-statuses": [...]}}``).
    """

    id: str
    reason: str
    source: str
    tools: tuple[Tool, ...]
    patch: tuple[dict[str, Any], ...] = ()
    operations: tuple[str, ...] = ()
    checks: Mapping[str, Any] | None = None


def load_exclusions(path: Path = EXCLUSIONS) -> list[Exclusion]:
    """The exclusions file's entries, checked for the fields every entry must have."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for raw in data.get("exclusion", []):
        missing = {"id", "reason", "source", "tools"} - raw.keys()
        if missing:
            raise ValueError(f"exclusion {raw.get('id', '?')!r} lacks {sorted(missing)}")
        unknown = set(raw["tools"]) - set(_TOOLS)
        if unknown:
            raise ValueError(f"exclusion {raw['id']!r}: unknown tools {sorted(unknown)}")
        entries.append(
            Exclusion(
                id=raw["id"],
                reason=raw["reason"],
                source=raw["source"],
                tools=tuple(raw["tools"]),
                patch=tuple(raw.get("patch", ())),
                operations=tuple(raw.get("operations", ())),
                checks=raw.get("checks"),
            )
        )
    return entries


def corrected_document(tool: Tool, exclusions: Sequence[Exclusion]) -> dict[str, Any]:
    """The official document with the patches of ``tool``'s exclusions applied."""
    document: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    for entry in exclusions:
        if tool in entry.tools and entry.patch:
            document = jsonpatch.apply_patch(document, list(entry.patch))
    return document


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago (for tools that need one named)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running(
    command: Sequence[str], *, stdout: int | None = None, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` for the duration of the block, then stop it (SIGTERM, then SIGKILL)."""
    process = subprocess.Popen(
        list(command),
        stdout=stdout if stdout is not None else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


@contextlib.contextmanager
def simulator(*args: str) -> Iterator[dict[str, str]]:
    """``mubert sim`` on a free loopback port; yields the ``MUBERT_*`` credentials it prints."""
    command = [sys.executable, "-m", "mubert_async.cli", "sim", "--port", "0", *args]
    with running(command, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        credentials: dict[str, str] = {}
        while len(credentials) < 5:
            line = process.stdout.readline()
            if not line:
                assert process.stderr is not None
                raise RuntimeError(f"the simulator exited: {process.stderr.read()}")
            name, _, value = line.strip().partition("=")
            credentials[name] = value
        yield credentials


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float) -> None:
    """Wait until something listens on 127.0.0.1:``port`` (or ``process`` exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            raise RuntimeError(f"{process.args!r} exited: {process.stderr.read()}")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def summary(tool: str, *, operations: int, cases: int, failures: int, excluded: int) -> str:
    """The one line each check prints for CI."""
    return (
        f"{tool}: {operations} operations checked, {cases} cases run, {failures} failures "
        f"({excluded} documented exclusions applied)"
    )
