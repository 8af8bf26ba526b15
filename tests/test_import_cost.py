"""``import mubert_async`` stays cheap: the transports load on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mubert_async.transport


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return set(done.stdout.split())


def test_importing_the_sdk_does_not_import_aiohttp_or_httpx() -> None:
    loaded = _modules_after("import mubert_async, mubert_async.transport")
    assert "mubert_async" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"aiohttp", "httpx"}}


def test_a_client_without_a_transport_still_gets_aiohttp() -> None:
    loaded = _modules_after(
        "import mubert_async; c = mubert_async.MubertClient('id', 'token'); "
        "assert type(c.transport).__name__ == 'AiohttpTransport'"
    )
    assert "aiohttp" in loaded


def test_the_transports_resolve_lazily() -> None:
    from mubert_async.transport import AiohttpTransport, HttpxTransport
    from mubert_async.transport._aiohttp import AiohttpTransport as Direct

    assert AiohttpTransport is Direct
    assert HttpxTransport.__name__ == "HttpxTransport"
    assert "AiohttpTransport" in mubert_async.transport.__all__
    with pytest.raises(AttributeError, match="NoSuchTransport"):
        mubert_async.transport.NoSuchTransport  # noqa: B018
