"""The README's "Webhooks" blocks (and the module docstring's) run as written, and work.

(The documentation harness runs every README block too; this also checks the apps
the blocks build answer deliveries.)
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from aiohttp import web
from webhook_bodies import body, track

from mubert_async.sim import serve
from mubert_async.testing import FakeMubert

README = Path(__file__).resolve().parents[2] / "README.md"


def blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


async def run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    code = compile(source, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)
    if inspect.iscoroutine(result):
        await result
    return namespace


def test_the_section_has_its_four_blocks() -> None:
    assert len(blocks()) == 4


async def test_register_and_mount_in_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMubert(generation_time=0.05)
    runner, base_url = await serve(fake)
    for name, value in {
        "MUBERT_BASE_URL": base_url,
        "MUBERT_COMPANY_ID": fake.company_id,
        "MUBERT_LICENSE_TOKEN": fake.license_token,
    }.items():
        monkeypatch.setenv(name, value)
    try:
        namespace = await run(blocks()[0])
    finally:
        await runner.cleanup()
    receiver = namespace["receiver"]
    assert fake._engine.license.webhook_enabled
    assert fake._engine.license.webhook_url == f"https://example.com/mubert/{receiver.token}"

    app_runner = web.AppRunner(namespace["app"], access_log=None)
    await app_runner.setup()
    try:
        await web.TCPSite(app_runner, "127.0.0.1", 0).start()
        origin = f"http://127.0.0.1:{app_runner.addresses[0][1]}"
        async with aiohttp.ClientSession() as http:
            async with http.post(receiver.webhook_url(f"{origin}/mubert"), data=body(track())) as r:
                assert r.status == 200
            async with http.post(f"{origin}/mubert/wrong", data=body(track())) as r:
                assert r.status == 404
    finally:
        await app_runner.cleanup()
    assert receiver.latest("track-1") is not None


async def test_fastapi_in_five_lines() -> None:
    pytest.importorskip("fastapi")
    namespace = await run(blocks()[1])
    receiver = namespace["receiver"]
    transport = httpx.ASGITransport(app=namespace["api"])
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (
            await http.post(f"/mubert/{receiver.token}", content=body(track()))
        ).status_code == 200
        assert (await http.post("/mubert/wrong", content=body(track()))).status_code == 404
        assert (await http.post(f"/mubert/{receiver.token}", content=b"{")).status_code == 400
    assert receiver.stats.accepted == 1


async def test_the_fake_delivers_in_process() -> None:
    namespace = await run(blocks()[3])
    assert namespace["receiver"].stats.accepted == 1
    assert namespace["fake"].stats.polls == 0


async def test_the_engine_completes_from_deliveries() -> None:
    namespace = await run(blocks()[2])
    assert namespace["fake"].stats.polls == 0
    assert namespace["receiver"].stats.accepted == 5


async def test_the_module_docstring_example_runs() -> None:
    import mubert_async.webhooks

    doc = mubert_async.webhooks.__doc__ or ""
    block = doc.split(".. code-block:: python\n\n", 1)[1]
    namespace = await run("\n".join(line[4:] for line in block.splitlines()))
    assert namespace["done"].url
