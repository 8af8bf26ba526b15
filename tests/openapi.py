"""The official OpenAPI document, and checks that a request conforms to it.

Shared by ``test_openapi_conformance.py`` and the property tests in ``properties/``:
``check_request`` asserts that one recorded ``Request`` is an operation of
``data/mubert-openapi-v3.json`` sent as the document says (method, path, headers,
query-vs-body placement, required fields, the schema of every value), and
``respond`` gives a canned, valid answer to any such request.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import msgspec

from mubert_async.transport import Request, Response

__all__ = [
    "CUSTOMER",
    "LICENSE",
    "OPERATIONS",
    "PREFIX",
    "SPEC",
    "TRACK",
    "check_request",
    "match",
    "resolve",
    "respond",
    "response_schema",
]

# A verbatim copy of shared/reference/mubert-openapi-v3.json, so the suite is hermetic.
SPEC_PATH = Path(__file__).parent / "data" / "mubert-openapi-v3.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())
OUT_OF_SCOPE = re.compile(r"/(stripe|prices|subscriptions)(/|$)")
PREFIX = "/api/v3"

TRACK: dict[str, Any] = {
    "id": "123e4567-e89b-12d3-a456-426614174000",
    "session_id": "abc",
    "duration": 60,
    "intensity": "high",
    "mode": "track",
    "generations": [{"session_id": "g", "format": "mp3", "bitrate": 128, "status": "processing"}],
}
LICENSE: dict[str, Any] = {"id": "9e113460-1125-4c09-83c0-94a3b36b0bf3", "company_id": "c"}
CUSTOMER: dict[str, Any] = {
    "id": "11111111-2222-3333-4444-555555555555",
    "custom_id": "user-1",
    "access": {"token": "t", "customer_id": "11111111-2222-3333-4444-555555555555"},
}


def resolve(node: Any) -> Any:
    """``node`` with any chain of ``$ref`` followed to its target."""
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
_PATTERNS = {
    key: re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(key[1])) + "$")
    for key in OPERATIONS
}


def match(method: str, path: str) -> tuple[str, str]:
    """The operation (method, path template) that ``method path`` calls."""
    matches = []
    for key, pattern in _PATTERNS.items():
        if key[0] == method and pattern.match(path):
            # Prefer literal segments over placeholders (/tracks/stored vs /tracks/{track}).
            matches.append((key[1].count("{"), key[1]))
    assert matches, f"{method} {path} is not an operation of the OpenAPI document"
    return method, min(matches)[1]


def response_schema(method: str, template: str, status: str = "200") -> Any:
    """The JSON schema of the ``status`` response of an operation, ``$ref`` resolved."""
    response = resolve(OPERATIONS[(method, template)]["responses"][status])
    return resolve(response["content"]["application/json"]["schema"])


def _check_value(schema: Any, value: Any, where: str) -> None:
    schema = resolve(schema)
    if value is None:
        assert schema.get("nullable"), f"{where}: null sent for a non-nullable field"
        return
    if "oneOf" in schema:
        schema = resolve(schema["oneOf"][0])
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


def _coerce_query(schema: Any, raw: str, where: str) -> Any:
    if resolve(schema).get("type") != "integer":
        return raw
    assert re.fullmatch(r"-?[0-9]+", raw), f"{where}: {raw!r} is not an integer"
    return int(raw)


def _check_path(key: tuple[str, str], path: str) -> None:
    """Each path parameter went out as exactly one percent-encoded, non-dot segment."""
    names = re.findall(r"\{([^}]+)\}", key[1])
    segments = _PATTERNS[key].match(path)
    assert segments is not None
    for name, raw in zip(names, segments.groups(), strict=True):
        assert re.fullmatch(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+", raw), f"{key}: {{{name}}}={raw!r}"
        value = unquote(raw, errors="strict")
        assert value not in {".", ".."}, f"{key}: {{{name}}} is a dot segment"
        assert not set(value) & set("/\\?#"), f"{key}: {{{name}}}={value!r} splits the path"


def check_request(request: Request) -> tuple[str, str]:
    """Assert ``request`` conforms to its operation; return the operation's key."""
    url = urlsplit(request.url)
    assert url.path.startswith(PREFIX)
    key = match(request.method, url.path)
    _check_path(key, url.path)
    op = OPERATIONS[key]
    params = [resolve(p) for p in op.get("parameters", [])]
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
        where = f"{key} ?{name}"
        assert isinstance(raw, str), f"{where}: {raw!r} is not text"
        _check_value(query_schema[name], _coerce_query(query_schema[name], raw, where), where)
    for p in params:
        if p["in"] == "query" and p.get("required"):
            assert p["name"] in sent_query, f"{key}: required query {p['name']} missing"

    body_spec = resolve(op.get("requestBody")) if op.get("requestBody") else None
    if request.content is None and request.form is None:
        assert not (body_spec and body_spec.get("required")), f"{key}: body required"
        return key
    assert body_spec, f"{key}: a body was sent to an operation without one"
    schema = resolve(body_spec["content"]["application/json"]["schema"])
    props = schema.get("properties", {})
    if request.form is not None:
        sent: dict[str, Any] = {}
        for name, value in request.form.fields.items():
            assert isinstance(value, str), f"{key}: form field {name}={value!r} is not text"
            where = f"{key} .{name}"
            sent[name] = _coerce_query(props[name], value, where) if name in props else value
        sent.update(dict.fromkeys(request.form.files, "<file>"))
        for name in request.form.files:
            assert resolve(props[name]).get("format") == "binary", f"{key}: {name} not a file"
    else:
        sent = msgspec.json.decode(request.content or b"")
        assert isinstance(sent, dict), f"{key}: the JSON body is not an object"
        assert request.headers.get("content-type") == "application/json"
    for name, value in sent.items():
        assert name in props, f"{key}: body field {name} is not documented"
        assert name not in query_schema, f"{key}: {name} belongs in the query"
        if value != "<file>":
            _check_value(props[name], value, f"{key} .{name}")
    for name in schema.get("required", []):
        assert name in sent, f"{key}: required body field {name} missing"
    return key


def respond(request: Request) -> Response:
    """A valid canned answer to any operation the SDK implements."""
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
