"""What the property tests share: clients on a recording transport, and reading what was sent.

``Recorder`` is the transport's handler: it keeps every request and answers with a
response chosen per example (``answer``) or, by default, the canned valid answer of
``openapi.respond`` (with the tracks already ``done``, so that waiting never polls).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import unquote, urlsplit

import msgspec
from openapi import TRACK, resolve, respond

from mubert_async import MubertClient, MubertServiceClient
from mubert_async.transport import MockTransport, Request, Response

__all__ = [
    "CUSTOMER_ID",
    "DONE_TRACK",
    "SECRETS",
    "Recorder",
    "Run",
    "Wire",
    "clients",
    "done_answer",
    "path_values",
    "sent_fields",
    "wire",
]

T = TypeVar("T")


class Run(Protocol):
    """Runs a coroutine to completion on the test module's event loop (the ``run`` fixture)."""

    def __call__(self, awaitable: Awaitable[T], /) -> T: ...


# Long enough to be scrubbed from error messages (the clients ignore secrets under 6 chars).
CUSTOMER_ID = "customer-0a1b2c"
ACCESS_TOKEN = "access-token-3d4e5f6a7b"
COMPANY_ID = "company-8c9d0e"
LICENSE_TOKEN = "license-token-1f2a3b4c5d"
SECRETS = (CUSTOMER_ID, ACCESS_TOKEN, COMPANY_ID, LICENSE_TOKEN)

DONE_TRACK: dict[str, Any] = {
    **TRACK,
    "generations": [
        {
            "session_id": "g",
            "format": "mp3",
            "bitrate": 128,
            "status": "done",
            "url": "https://files.mubert.com/g.mp3",
        }
    ],
}


def done_answer(request: Request) -> Response:
    """``openapi.respond``, with every track answered ``done`` (nothing to wait for)."""
    response = respond(request)
    if "/public/tracks" not in request.url or response.status != 200:
        return response
    body = msgspec.json.decode(response.content)
    if isinstance(body.get("data"), list):
        body["data"] = [DONE_TRACK]
    else:
        body["data"] = DONE_TRACK
    return Response(200, response.headers, msgspec.json.encode(body))


@dataclass
class Recorder:
    """A MockTransport handler that records requests and answers with ``answer``."""

    requests: list[Request] = field(default_factory=list)
    answer: Callable[[Request], Response] = done_answer

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        return self.answer(request)

    def reset(self, answer: Callable[[Request], Response] = done_answer) -> None:
        """Forget the requests seen so far and answer the next ones with ``answer``."""
        self.requests.clear()
        self.answer = answer


@dataclass(repr=False)
class Wire:
    """A public and a service client over one recording transport."""

    recorder: Recorder
    client: MubertClient
    service: MubertServiceClient

    def __repr__(self) -> str:  # shown in every falsifying example: keep it short
        return "wire"

    def answer(self, answer: Callable[[Request], Response] = done_answer) -> Recorder:
        """Start an example: forget the requests so far, answer the next with ``answer``."""
        self.recorder.reset(answer)
        return self.recorder


def wire() -> Wire:
    """A fresh ``Wire`` (the ``wire`` fixture shares one across a module's examples)."""
    recorder = Recorder()
    return Wire(recorder, *clients(recorder))


def clients(recorder: Recorder) -> tuple[MubertClient, MubertServiceClient]:
    """A public and a service client over ``recorder``, without retries or a learned limit."""
    transport = MockTransport(recorder)
    return (
        MubertClient(
            CUSTOMER_ID,
            ACCESS_TOKEN,
            transport=transport,
            max_retries=0,
            max_concurrent_generations=-1,
        ),
        MubertServiceClient(COMPANY_ID, LICENSE_TOKEN, transport=transport, max_retries=0),
    )


def _coerce(schema: Any, raw: str) -> Any:
    kind = resolve(schema).get("type") if schema is not None else None
    return int(raw) if kind == "integer" and re.fullmatch(r"-?[0-9]+", raw) else raw


def sent_fields(request: Request, operation: dict[str, Any]) -> dict[str, Any]:
    """Every field ``request`` sent (query, JSON body or form) as the API reads it.

    Query and form values are text on the wire; integers among them are turned back
    into ``int`` by the operation's schema. A form's files are ``"<file>"``.
    """
    fields: dict[str, Any] = {}
    params = {
        p["name"]: p["schema"]
        for p in map(resolve, operation.get("parameters", []))
        if p["in"] == "query"
    }
    for name, raw in (request.params or {}).items():
        fields[name] = _coerce(params.get(name), raw)
    body = operation.get("requestBody")
    props = (
        resolve(resolve(body)["content"]["application/json"]["schema"]).get("properties", {})
        if body
        else {}
    )
    if request.form is not None:
        for name, raw in request.form.fields.items():
            fields[name] = _coerce(props.get(name), raw)
        fields.update(dict.fromkeys(request.form.files, "<file>"))
    elif request.content is not None:
        fields.update(msgspec.json.decode(request.content))
    return fields


def path_values(request: Request) -> list[str]:
    """The percent-decoded segments of the request's path."""
    return [unquote(s) for s in urlsplit(request.url).path.split("/")]
