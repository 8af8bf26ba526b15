"""Drive every SDK operation once against Stoplight Prism, which validates each request.

Starts ``prism mock --errors`` on the OpenAPI document (corrected only by the
entries of ``exclusions.toml`` that name Prism) on a free loopback port, calls
each API operation through ``MubertClient``/``MubertServiceClient``, and fails
on any violation Prism reports (its ``sl-violations`` header, or a
problem+json error of its own) and on any non-billing operation not exercised.
Prism's mock bodies are not the API's, so what the SDK makes of them is not
judged here. Prints one summary line.

    python conformance/prism_check.py [--prism PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _support import (
    REPO,
    corrected_document,
    free_port,
    load_exclusions,
    running,
    summary,
    wait_for_port,
)

from mubert_async import MubertClient, MubertError, MubertServiceClient
from mubert_async.transport import AiohttpTransport, Request, Response, StreamResponse

PRISM = REPO / ".conformance" / "node" / "node_modules" / ".bin" / "prism"
BILLING = re.compile(r"^/api/v3/(public|service)/(stripe|prices|subscriptions)")
# Some id the SDK accepts; Prism checks only the request, not that the id exists.
ID = "123e4567-e89b-12d3-a456-426614174000"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)  # the SDK and the API want 50 KB at least


@dataclass
class Recorder:
    """An ``AiohttpTransport`` that keeps each request with the response Prism gave it."""

    inner: AiohttpTransport = field(default_factory=AiohttpTransport)
    exchanges: list[tuple[Request, Response]] = field(default_factory=list)

    async def send(self, request: Request) -> Response:
        """Send through aiohttp and record the exchange."""
        response = await self.inner.send(request)
        self.exchanges.append((request, response))
        return response

    def stream(self, request: Request) -> AbstractAsyncContextManager[StreamResponse]:
        """Not used by the operations driven here (downloads go to file URLs)."""
        return self.inner.stream(request)

    async def aclose(self) -> None:
        """Close the aiohttp session."""
        await self.inner.aclose()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, re.Pattern[str]]]:
    """(method, template, regex) of every non-billing operation, concrete paths first."""
    found = []
    for template, item in document["paths"].items():
        if BILLING.match(template):
            continue
        regex = re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)))
        for method in item:
            if method in ("get", "post", "put", "delete", "patch"):
                found.append((method.upper(), template, regex))
    return sorted(found, key=lambda op: "{" in op[1])


def _label(operations: Sequence[tuple[str, str, re.Pattern[str]]], request: Request) -> str:
    path = urlsplit(request.url).path
    for method, template, regex in operations:
        if method == request.method and regex.fullmatch(path):
            return f"{method} {template}"
    return f"{request.method} {path} (no such operation)"


def _violations(response: Response) -> list[str]:
    """What Prism says is wrong with the request that got ``response``.

    Violations located in the response are Prism's own mock failing the document
    (e.g. its non-standard ``format: url``), not the SDK's doing: left out.
    """
    listed: list[dict[str, Any]] = []
    header = response.headers.get("sl-violations")
    if header:
        listed += json.loads(header)
    problem: dict[str, Any] = {}
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        problem = json.loads(response.content or b"{}")
        listed += problem.get("validation", [])
    found = [f"{v['code']}: {v['message']}" for v in listed if v["location"][:1] == ["request"]]
    if problem and not problem.get("validation"):  # 401/404/405/415...: about the request
        found.append(f"{problem.get('type', '?')}: {problem.get('detail', '')}")
    return found


Call = Callable[[], Awaitable[Any]]


def _calls(client: MubertClient, service: MubertServiceClient) -> list[Call]:
    """One call per API operation (image uploads are multipart, as the SDK sends them)."""
    tracks, streaming = client.tracks, client.streaming
    return [
        lambda: tracks.create(playlist_index="1.0.0", duration=30, bpm=120, key="C"),
        lambda: tracks.create(prompt="calm piano", duration=30, intensity="low", format="wav"),
        lambda: tracks.create(image=PNG, duration=30, bitrate=320),
        lambda: tracks.record(playlist_index="1.0.0", duration=30, mode="loop"),
        lambda: tracks.record(image=PNG, duration=30),
        lambda: tracks.stored(playlist_index="1.0.0", duration=30),
        lambda: tracks.stored(stream_id=7, duration=30, bitrate=128),
        lambda: tracks.get(ID),
        lambda: tracks.get_by_session("4b19470aec7446d0a8e3c05d06b23ce2"),
        lambda: tracks.list(offset=0, limit=10),
        lambda: tracks.similar(ID, duration=60),
        lambda: tracks.edit(ID, duration=60, replace_stems=["DRUMS"], delete_instruments=["PADS"]),
        lambda: client.playlists.list(),
        lambda: streaming.get_link("1.0.0", bitrate=128, intensity="high"),
        lambda: streaming.set_loop(True, time=5),
        lambda: streaming.set_intensity("medium"),
        lambda: streaming.restart(),
        lambda: client.library.params(genres="Rock"),
        lambda: client.library.tracks(offset=0, limit=5, mode="track"),
        lambda: service.licenses.list(),
        lambda: service.licenses.get(ID),
        lambda: service.licenses.update(ID, webhook_url="https://example.com/hook"),
        lambda: service.licenses.update(ID, webhook_enabled=False),
        lambda: service.customers.create("conformance-user"),
        lambda: service.customers.list(offset=0, limit=10),
        lambda: service.customers.get(ID),
        lambda: service.customers.get_by_custom_id("conformance-user"),
        lambda: service.customers.update(ID, custom_id="renamed-user"),
        lambda: service.customers.delete(ID),
    ]


async def _drive(base_url: str, recorder: Recorder) -> None:
    async with (
        MubertClient(ID, "token", base_url=base_url, transport=recorder, max_retries=0) as client,
        MubertServiceClient(
            ID, "token", base_url=base_url, transport=recorder, max_retries=0
        ) as service,
    ):
        for call in _calls(client, service):
            # Prism's mock bodies or its 4xx may fail the call: judged from the exchange.
            with contextlib.suppress(MubertError):
                await call()


def run(prism: Path) -> int:
    """Run the check; the process exit status."""
    exclusions = [e for e in load_exclusions() if "prism" in e.tools]
    document = corrected_document("prism", exclusions)
    operations = _operations(document)
    recorder = Recorder()
    with tempfile.TemporaryDirectory(prefix="mubert-prism-") as tmp:
        path = Path(tmp) / "openapi.json"
        path.write_text(json.dumps(document))
        port = free_port()
        command = [str(prism), "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(path)]
        with running(command) as process:
            wait_for_port(port, process, timeout=60)
            asyncio.run(_drive(f"http://127.0.0.1:{port}/api/v3", recorder))
    problems: list[str] = []
    seen: set[str] = set()
    for request, response in recorder.exchanges:
        label = _label(operations, request)
        seen.add(label)
        problems += [f"{label}: {v}" for v in _violations(response)]
    missing = sorted({f"{m} {t}" for m, t, _ in operations} - seen)
    problems += [f"{label}: never called" for label in missing]
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    print(
        summary(
            "prism",
            operations=len(seen),
            cases=len(recorder.exchanges),
            failures=len(problems),
            excluded=len(exclusions),
        )
    )
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prism", type=Path, default=PRISM, help="the prism executable")
    args = parser.parse_args(argv)
    return run(args.prism)


if __name__ == "__main__":
    sys.exit(main())
