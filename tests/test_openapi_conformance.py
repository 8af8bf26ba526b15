"""Every operation the SDK implements sends exactly what the official OpenAPI document says.

The SDK is driven through its public surface against a recording transport; each
request is matched to its operation in ``mubert-openapi-v3.json`` and checked for
method, path, required headers, query-vs-body placement, required fields, and the
schema of every value sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec
import pytest

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.transport import MockTransport, Request, Response

# A verbatim copy of shared/reference/mubert-openapi-v3.json, so the suite is hermetic.
SPEC_PATH = Path(__file__).parent / "data" / "mubert-openapi-v3.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
OUT_OF_SCOPE = re.compile(r"/(stripe|prices|subscriptions)(/|$)")
PREFIX = "/api/v3"

TRACK = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "session_id": "abc",
    "duration": 60,
    "intensity": "high",
    "mode": "track",
    "generations": [{"session_id": "g", "format": "mp3", "bitrate": 128, "status": "processing"}],
}
LICENSE = {"id": "9e113460-1125-4c09-83c0-94a3b36b0bf3", "company_id": "c"}
CUSTOMER = {
    "id": "11111111-2222-3333-4444-555555555555",
    "custom_id": "user-1",
    "access": {"token": "t", "customer_id": "11111111-2222-3333-4444-555555555555"},
}


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    ops = {}
    for template, item in SPEC["paths"].items():
        if OUT_OF_SCOPE.search(template):
            continue
        for method, op in item.items():
            if method in {"get", "post", "put", "delete", "patch"}:
                ops[(method.upper(), template)] = op
    return ops


OPERATIONS = _operations()


def _match(method: str, path: str) -> tuple[str, str]:
    matches = []
    for op_method, template in OPERATIONS:
        if op_method != method:
            continue
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            # Prefer literal segments over placeholders (/tracks/stored vs /tracks/{track}).
            matches.append((template.count("{"), template))
    assert matches, f"{method} {path} is not an operation of the OpenAPI document"
    return method, min(matches)[1]


def _check_value(schema: Any, value: Any, where: str) -> None:
    schema = _resolve(schema)
    if value is None:
        assert schema.get("nullable"), f"{where}: null sent for a non-nullable field"
        return
    if "oneOf" in schema:
        schema = _resolve(schema["oneOf"][0])
    kind = schema.get("type")
    if kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
        assert value >= schema.get("minimum", value), f"{where}: {value} < minimum"
        assert value <= schema.get("maximum", value), f"{where}: {value} > maximum"
    elif kind == "string":
        assert isinstance(value, str), f"{where}: {value!r} is not a string"
        assert len(value) <= schema.get("maxLength", len(value)), f"{where}: too long"
        assert len(value) >= schema.get("minLength", 0), f"{where}: too short"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: {value!r}"
    elif kind == "array":
        assert isinstance(value, list), f"{where}: {value!r}"
        for i, item in enumerate(value):
            _check_value(schema["items"], item, f"{where}[{i}]")
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"


def _coerce_query(schema: Any, raw: str) -> Any:
    kind = _resolve(schema).get("type")
    return int(raw) if kind == "integer" else raw


def check_request(request: Request) -> tuple[str, str]:
    """Assert ``request`` conforms to its operation; return the operation's key."""
    url = urlsplit(request.url)
    assert url.path.startswith(PREFIX)
    key = _match(request.method, url.path)
    op = OPERATIONS[key]
    params = [_resolve(p) for p in op.get("parameters", [])]
    headers = {k.lower() for k in request.headers}
    for p in params:
        if p["in"] == "header" and p.get("required"):
            assert p["name"] in headers, f"{key}: header {p['name']} missing"
    # Only the documented auth pair travels: public and service credentials never mix.
    auth = headers & {"customer-id", "access-token", "company-id", "license-token"}
    assert auth == {p["name"] for p in params if p["in"] == "header"}, key

    query_schema = {p["name"]: p["schema"] for p in params if p["in"] == "query"}
    sent_query = dict(request.params or {})
    for name, raw in sent_query.items():
        assert name in query_schema, f"{key}: query parameter {name} is not documented"
        _check_value(query_schema[name], _coerce_query(query_schema[name], raw), f"{key} ?{name}")
    for p in params:
        if p["in"] == "query" and p.get("required"):
            assert p["name"] in sent_query, f"{key}: required query {p['name']} missing"

    body_spec = _resolve(op.get("requestBody")) if op.get("requestBody") else None
    if request.content is None and request.form is None:
        assert not (body_spec and body_spec.get("required")), f"{key}: body required"
        return key
    assert body_spec, f"{key}: a body was sent to an operation without one"
    schema = _resolve(body_spec["content"]["application/json"]["schema"])
    props = schema.get("properties", {})
    if request.form is not None:
        sent: dict[str, Any] = {
            name: _coerce_query(props[name], value) if name in props else value
            for name, value in request.form.fields.items()
        }
        sent.update(dict.fromkeys(request.form.files, "<file>"))
        for name in request.form.files:
            assert _resolve(props[name]).get("format") == "binary", f"{key}: {name} not a file"
    else:
        sent = msgspec.json.decode(request.content or b"")
        assert request.headers.get("content-type") == "application/json"
    for name, value in sent.items():
        assert name in props, f"{key}: body field {name} is not documented"
        assert name not in query_schema, f"{key}: {name} belongs in the query"
        if value != "<file>":
            _check_value(props[name], value, f"{key} .{name}")
    for name in schema.get("required", []):
        assert name in sent, f"{key}: required body field {name} missing"
    return key


def _respond(request: Request) -> Response:
    path = urlsplit(request.url).path
    if request.method == "DELETE" or re.search(r"/streaming/(set-|restart)", path):
        return Response(204, {}, b"")
    if path.endswith("/get-link"):
        body: Any = {"data": {"link": "https://stream.mubert.com/b2b/v3?x=1"}}
    elif path.endswith("/playlists"):
        body = {
            "data": [{"playlist_index": "1.0.0", "category": "c", "group": "g", "channel": "h"}]
        }
    elif path.endswith("/music-library/params"):
        body = [{"param": "bpm", "values": [{"value": "120", "tracks_count": 3}]}]
    elif request.method == "GET" and path.endswith(("/public/tracks", "/music-library/tracks")):
        body = {"data": [TRACK], "meta": {"total": 1, "limit": 25, "offset": 0}}
    elif "/public/tracks" in path:
        body = {"data": TRACK}
    elif path.endswith("/service/licenses"):
        body = {"data": [LICENSE], "meta": {"total": 1, "limit": 25, "offset": 0}}
    elif "/service/licenses/" in path:
        body = LICENSE
    elif path.endswith("/service/customers") and request.method == "GET":
        body = {"data": [CUSTOMER], "meta": {"total": 1, "limit": 25, "offset": 0}}
    else:
        body = CUSTOMER
    return Response(200, {"content-type": "application/json"}, msgspec.json.encode(body))


PNG = b"\x89PNG\r\n\x1a\n" + bytes(60 * 1024)
TID = TRACK["id"]
Call = Callable[[MubertClient, MubertServiceClient], Awaitable[Any]]

CALLS: list[tuple[str, Call]] = [
    ("playlists", lambda c, s: c.playlists.list()),
    (
        "get-link",
        lambda c, s: c.streaming.get_link("1.0.0", bitrate=320, intensity="low", type="webrtc"),
    ),
    ("set-loop", lambda c, s: c.streaming.set_loop(True, time=12)),
    ("set-intensity", lambda c, s: c.streaming.set_intensity("medium")),
    ("restart", lambda c, s: c.streaming.restart()),
    (
        "create-playlist",
        lambda c, s: c.tracks.create(
            duration=60,
            playlist_index="1.0.0",
            bitrate=128,
            format="wav",
            intensity="high",
            mode="loop",
            bpm=120,
            key="C#m",
        ),
    ),
    ("create-prompt", lambda c, s: c.tracks.create(duration=30, prompt="calm piano")),
    ("create-image", lambda c, s: c.tracks.create(duration=30, image=PNG, mode="track")),
    ("record", lambda c, s: c.tracks.record(duration=30, prompt="rain")),
    ("stored", lambda c, s: c.tracks.stored(duration=60, playlist_index="1.0.0", format="mp3")),
    ("stored-stream", lambda c, s: c.tracks.stored(duration=60, stream_id=7)),
    ("get", lambda c, s: c.tracks.get(TID)),
    ("get-by-session", lambda c, s: c.tracks.get_by_session("4b19470aec7446d0a8e3c05d06b23ce2")),
    ("list", lambda c, s: c.tracks.list(offset=5, limit=10, order="desc", order_by="created_at")),
    (
        "similar",
        lambda c, s: c.tracks.similar(
            TID, duration=90, bitrate=192, intensity="high", mode="track"
        ),
    ),
    (
        "edit",
        lambda c, s: c.tracks.edit(
            TID,
            duration=90,
            bitrate=256,
            format="mp3",
            intensity="low",
            replace_stems=["DRUMS"],
            delete_stems=["FX"],
            replace_instruments=["HATS"],
            delete_instruments=["PADS", "PERCS"],
        ),
    ),
    (
        "library-params",
        lambda c, s: c.library.params(bpm=120, genres="Nu Disco", key="Am", mode="loop"),
    ),
    (
        "library-tracks",
        lambda c, s: c.library.tracks(offset=0, limit=5, duration=180, moods="Happy", order="asc"),
    ),
    ("licenses", lambda c, s: s.licenses.list()),
    ("license", lambda c, s: s.licenses.get(LICENSE["id"])),
    (
        "license-update",
        lambda c, s: s.licenses.update(
            LICENSE["id"], webhook_url="https://example.com/hook", webhook_enabled=True
        ),
    ),
    ("license-clear-webhook", lambda c, s: s.licenses.update(LICENSE["id"], webhook_url=None)),
    ("customer-create", lambda c, s: s.customers.create("user.1@example-co")),
    ("customers", lambda c, s: s.customers.list(offset=0, limit=50)),
    ("customer", lambda c, s: s.customers.get(CUSTOMER["id"])),
    ("customer-by-custom-id", lambda c, s: s.customers.get_by_custom_id("user-1")),
    ("customer-update", lambda c, s: s.customers.update(CUSTOMER["id"], custom_id="user-2")),
    ("customer-delete", lambda c, s: s.customers.delete(CUSTOMER["id"])),
]


@pytest.fixture
def recorded() -> list[Request]:
    return []


@pytest.fixture
def clients(recorded: list[Request]) -> tuple[MubertClient, MubertServiceClient]:
    def handler(request: Request) -> Response:
        recorded.append(request)
        return _respond(request)

    transport = MockTransport(handler)
    return (
        MubertClient("cust", "tok", transport=transport),
        MubertServiceClient("comp", "lic", transport=transport),
    )


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
async def test_request_conforms(
    name: str,
    call: Call,
    clients: tuple[MubertClient, MubertServiceClient],
    recorded: list[Request],
) -> None:
    await call(*clients)
    assert len(recorded) == 1, f"{name} sent {len(recorded)} requests"
    check_request(recorded[0])


async def test_every_operation_is_implemented(
    clients: tuple[MubertClient, MubertServiceClient], recorded: list[Request]
) -> None:
    for _, call in CALLS:
        await call(*clients)
    covered = {check_request(r) for r in recorded}
    assert covered == set(OPERATIONS), sorted(set(OPERATIONS) - covered)


async def test_path_segments_are_encoded(
    clients: tuple[MubertClient, MubertServiceClient], recorded: list[Request]
) -> None:
    client, service = clients
    await service.customers.get_by_custom_id("a@b.c")
    await client.tracks.get("id:with@odd+chars")  # harmless characters stay in one segment
    paths = [urlsplit(r.url).path for r in recorded]
    assert unquote(paths[0].rsplit("/", 1)[1]) == "a@b.c"
    assert unquote(paths[1].rsplit("/", 1)[1]) == "id:with@odd+chars"
