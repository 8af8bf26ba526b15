"""Property 1: whatever body a server sends, a method returns its model or raises a MubertError.

Each public method that decodes a response is called through the real client over a
``MockTransport`` answering with a generated body: valid per the response schema of
``data/mubert-openapi-v3.json`` (as documented, bare, or wrapped in ``{"data": ...}``)
or broken in every way ``schema_strategies.bodies`` knows. With status 200 the
method returns the model (always, when the body is complete and valid - except the
documented strictness: a ``done`` generation without a URL) or raises
``TransportError``; never another exception. Error statuses always give the
``APIError`` subclass of the status, whose properties never fail and never show a
credential.

A decoded model is then used as a user would (``repr``, ``Track.status``/``url``,
``Page.has_more``, ``service.customer_client(customer)``...), and one decoded from a
complete, valid body must hold what the body said (ids, links, totals).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi import OPERATIONS, SPEC, resolve, response_schema
from prop_harness import (
    ACCESS_TOKEN,
    COMPANY_ID,
    CUSTOMER_ID,
    LICENSE_TOKEN,
    SECRETS,
    Run,
    Wire,
)
from schema_strategies import JSON, Body, bodies, junk, maker

from mubert_async import (
    Customer,
    LibraryParam,
    License,
    MubertClient,
    MubertServiceClient,
    Page,
    Playlist,
    Track,
)
from mubert_async.errors import (
    APIError,
    AuthenticationError,
    ConcurrencyLimitError,
    InvalidRequestError,
    MubertError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    _error_from_response,
)
from mubert_async.transport import Response

_JSON = {"content-type": "application/json"}
TID = "123e4567-e89b-12d3-a456-426614174000"
CID = "11111111-2222-3333-4444-555555555555"
LID = "9e113460-1125-4c09-83c0-94a3b36b0bf3"
Call = Callable[[MubertClient, MubertServiceClient], Awaitable[Any]]

_CUSTOMER_REF = "#/components/schemas/CustomerServiceResource"
# The document's customer has no ``access``; the guide's (and the SDK's) does.
_CUSTOMER_WITH_ACCESS = {
    "allOf": [
        {"$ref": _CUSTOMER_REF},
        {
            "properties": {
                "access": {
                    "oneOf": [{"$ref": "#/components/schemas/AccessTokenServiceResource"}],
                    "nullable": True,
                }
            }
        },
    ]
}


def _with_access(schema: Any) -> Any:
    """``schema`` with every customer given the ``access`` the real API sends."""
    if isinstance(schema, dict):
        if schema.get("$ref") == _CUSTOMER_REF:
            return _CUSTOMER_WITH_ACCESS
        return {k: _with_access(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_with_access(v) for v in schema]
    return schema


@dataclass(frozen=True, repr=False)
class Endpoint:
    """A decoding method, the operation it calls, and how its answer is checked."""

    name: str
    call: Call
    method: str
    template: str
    page: bool = False
    strict_urls: bool = False  # a done generation without a URL is an error (tracks.get)

    def __repr__(self) -> str:
        return self.name

    @property
    def secrets(self) -> tuple[str, ...]:
        """The credentials of the client this method belongs to."""
        service = self.template.startswith("/service/")
        return (COMPANY_ID, LICENSE_TOKEN) if service else (CUSTOMER_ID, ACCESS_TOKEN)

    @cached_property
    def documented(self) -> Any:
        return _with_access(response_schema(self.method, "/api/v3" + self.template))

    @cached_property
    def model(self) -> Any:
        """The schema of what is decoded: inside ``{"data": ...}`` unless it is a page."""
        documented = self.documented
        if self.page or "data" not in documented.get("properties", {}):
            return documented
        return documented["properties"]["data"]

    def model_value(self, body: Body) -> JSON:
        """The model's own JSON in an unmutated body."""
        value = body.value
        if body.how == "wrapped" or (
            body.how == "documented" and self.model is not self.documented
        ):
            return value["data"]
        return value

    def bodies(self) -> st.SearchStrategy[Body]:
        return bodies(maker(self.documented), maker(self.model))


TRACKS = [
    Endpoint(
        "tracks.get",
        lambda c, s: c.tracks.get(TID),
        "GET",
        "/public/tracks/{track}",
        strict_urls=True,
    ),
    Endpoint(
        "tracks.get_by_session",
        lambda c, s: c.tracks.get_by_session("4b19470aec"),
        "GET",
        "/public/tracks/session/{session_id}",
        strict_urls=True,
    ),
    Endpoint("tracks.list", lambda c, s: c.tracks.list(), "GET", "/public/tracks", page=True),
    Endpoint(
        "tracks.create",
        lambda c, s: c.tracks.create(duration=30, prompt="rain"),
        "POST",
        "/public/tracks",
    ),
    Endpoint(
        "tracks.record",
        lambda c, s: c.tracks.record(duration=30, playlist_index="1.0.0"),
        "POST",
        "/public/tracks/record",
    ),
    Endpoint(
        "tracks.stored",
        lambda c, s: c.tracks.stored(duration=30, stream_id=3),
        "POST",
        "/public/tracks/stored",
    ),
    Endpoint(
        "tracks.similar",
        lambda c, s: c.tracks.similar(TID, duration=30),
        "POST",
        "/public/tracks/{track}/similar",
    ),
    Endpoint(
        "tracks.edit",
        lambda c, s: c.tracks.edit(TID, delete_stems=["FX"]),
        "POST",
        "/public/tracks/{track}/edit",
    ),
]
CATALOG = [
    Endpoint("playlists.list", lambda c, s: c.playlists.list(), "GET", "/public/playlists"),
    Endpoint(
        "library.params",
        lambda c, s: c.library.params(genres="Rock"),
        "GET",
        "/public/music-library/params",
    ),
    Endpoint(
        "library.tracks",
        lambda c, s: c.library.tracks(bpm=120),
        "GET",
        "/public/music-library/tracks",
        page=True,
    ),
    Endpoint(
        "streaming.get_link",
        lambda c, s: c.streaming.get_link("1.0.0"),
        "GET",
        "/public/streaming/get-link",
    ),
]
SERVICE = [
    Endpoint("licenses.list", lambda c, s: s.licenses.list(), "GET", "/service/licenses"),
    Endpoint(
        "licenses.get", lambda c, s: s.licenses.get(LID), "GET", "/service/licenses/{license}"
    ),
    Endpoint(
        "licenses.update",
        lambda c, s: s.licenses.update(LID, webhook_enabled=True),
        "PUT",
        "/service/licenses/{license}",
    ),
    Endpoint(
        "customers.create", lambda c, s: s.customers.create("user-1"), "POST", "/service/customers"
    ),
    Endpoint(
        "customers.list", lambda c, s: s.customers.list(), "GET", "/service/customers", page=True
    ),
    Endpoint(
        "customers.get", lambda c, s: s.customers.get(CID), "GET", "/service/customers/{customer}"
    ),
    Endpoint(
        "customers.get_by_custom_id",
        lambda c, s: s.customers.get_by_custom_id("user-1"),
        "GET",
        "/service/customers/custom-id/{customId}",
    ),
    Endpoint(
        "customers.update",
        lambda c, s: s.customers.update(CID, custom_id="user-2"),
        "PUT",
        "/service/customers/{customer}",
    ),
]
ALL = TRACKS + CATALOG + SERVICE


def _cases(endpoints: list[Endpoint]) -> st.SearchStrategy[tuple[Endpoint, Body]]:
    return st.one_of([st.tuples(st.just(e), e.bodies()) for e in endpoints])


def _ids(items: Any) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else None for item in items]


def _use(result: Any, service: MubertServiceClient) -> None:
    """Touch what a user would: repr and every derived property of the model.

    A customer whose access has a token also gets its client (``customer_client``),
    with the concurrency limit the model derives from its limits.
    """
    repr(result)
    items = (
        result.data
        if isinstance(result, Page)
        else result
        if isinstance(result, list)
        else [result]
    )
    if isinstance(result, Page):
        assert len(result) == len(result.data)
        assert isinstance(result.has_more, bool)
    for item in items:
        if isinstance(item, Track):
            assert item.status is None or isinstance(item.status, str)
            assert item.url is None or isinstance(item.url, str)
            assert item.generation is None or item.generation in (item.generations or ())
            assert item.intensity is None or isinstance(item.intensity, (str, int))
        elif isinstance(item, Customer):
            limit = item.max_concurrent_generations
            assert limit is None or limit == -1 or limit >= 1, limit
            if item.access is not None and item.access.token.strip():
                refused: MubertError | None = None
                try:
                    service.customer_client(item)
                except MubertError as error:
                    refused = error
                # Only a credential no header can carry (a line break, NUL) is refused.
                assert refused is None or (
                    isinstance(refused, InvalidRequestError)
                    and refused.field in {"customer-id", "access-token"}
                ), repr(refused)


def _check_decoded(endpoint: Endpoint, body: Body, result: Any) -> None:
    """The model decoded from a complete, valid body holds what the body said."""
    value = endpoint.model_value(body)
    if endpoint.page:
        assert isinstance(result, Page)
        assert [item.id for item in result.data] == _ids(value["data"])
        assert result.meta.total == value["meta"]["total"]
    elif endpoint.name == "streaming.get_link":
        assert result == value["link"]
    elif endpoint.name == "playlists.list":
        assert [p.playlist_index for p in result] == [p["playlist_index"] for p in value]
        assert all(isinstance(p, Playlist) for p in result)
    elif endpoint.name == "library.params":
        assert [p.param for p in result] == [p["param"] for p in value]
        assert all(isinstance(p, LibraryParam) for p in result)
    elif endpoint.name == "licenses.list":
        assert [item.id for item in result] == _ids(value)
        assert all(isinstance(item, License) for item in result)
    else:
        kind = endpoint.name.split(".")[0]
        types: dict[str, type[Track | License | Customer]] = {
            "tracks": Track,
            "licenses": License,
            "customers": Customer,
        }
        expected = types[kind]
        assert isinstance(result, expected)
        assert result.id == value["id"]


def _done_without_url(endpoint: Endpoint, body: Body) -> bool:
    if not endpoint.strict_urls:
        return False
    generations = endpoint.model_value(body).get("generations") or []
    return any(g.get("status") == "done" and not g.get("url") for g in generations)


def _decode_through_client(run: Run, wire: Wire, endpoint: Endpoint, body: Body) -> None:
    recorder = wire.answer(lambda request: Response(200, _JSON, body.content))
    try:
        result = run(endpoint.call(wire.client, wire.service))
    except TransportError:
        assert not body.must_decode or _done_without_url(endpoint, body), (
            f"{endpoint.name}: a complete, valid {body.how} body did not decode"
        )
        return
    assert not (body.must_decode and _done_without_url(endpoint, body)), (
        f"{endpoint.name}: a done generation without a url was accepted"
    )
    assert len(recorder.requests) == 1
    _use(result, wire.service)
    if body.must_decode:
        _check_decoded(endpoint, body, result)


@given(case=_cases(TRACKS))
def test_track_responses_decode_or_raise_transport_error(
    run: Run, wire: Wire, case: tuple[Endpoint, Body]
) -> None:
    """tracks get/get_by_session/list/create/record/stored/similar/edit."""
    _decode_through_client(run, wire, *case)


@given(case=_cases(CATALOG))
def test_catalog_responses_decode_or_raise_transport_error(
    run: Run, wire: Wire, case: tuple[Endpoint, Body]
) -> None:
    """playlists.list, library.params/tracks, streaming.get_link."""
    _decode_through_client(run, wire, *case)


@given(case=_cases(SERVICE))
def test_service_responses_decode_or_raise_transport_error(
    run: Run, wire: Wire, case: tuple[Endpoint, Body]
) -> None:
    """licenses list/get/update, customers create/list/get/get_by_custom_id/update."""
    _decode_through_client(run, wire, *case)


# -- error statuses --------------------------------------------------------------------------

_ERROR_SCHEMAS = [
    schema
    for name, schema in SPEC["components"]["schemas"].items()
    if name.endswith("Exception") or name in {"Error403Response", "Error404Response"}
]
_COMMON_STATUSES = [400, 401, 403, 404, 405, 408, 409, 413, 422, 429, 500, 502, 503, 504]
_STATUSES = st.sampled_from(_COMMON_STATUSES * 14 + list(range(400, 600)))
_RETRY_AFTERS = (
    "Wed, 21 Oct 2015 07:28:00 GMT",
    "Mon, 01 Jan 0001 00:00:00 -0000",
    "Fri, 31 Dec 9999 23:59:59 +2359",
    "Mon, 32 Jan 2020 25:00:00 GMT",
    "inf",
    "-inf",
    "nan",
    "1e999",
    "-1",
    "0",
    "1.5",
    "1_000",
    "",
    " 7 ",
    "\x00",
    str(2**70),
    str(-(2**70)),
)


def _headers(seed: int) -> dict[str, str]:
    """Headers of an error response: often a Retry-After, sane or not."""
    rnd = random.Random(seed)
    headers = {"content-type": "application/json"} if rnd.random() < 0.5 else {}
    pick = rnd.random()
    if pick < 0.4:
        headers["retry-after"] = rnd.choice(_RETRY_AFTERS)
    elif pick < 0.6:
        headers["retry-after"] = str(
            rnd.choice([rnd.randint(-(2**70), 2**70), rnd.uniform(-1e6, 1e6)])
        )
    elif pick < 0.7:
        headers["retry-after"] = "".join(
            chr(rnd.randint(0, 0x2FF)) for _ in range(rnd.randint(0, 12))
        )
    return headers


_HEADERS = st.integers(0, 2**64 - 1).map(_headers)
_ERROR_MAKERS = [maker(schema) for schema in _ERROR_SCHEMAS]


def _error_value(rnd: random.Random, complete: bool) -> JSON:
    """An error body of the document, often echoing a credential in its texts."""
    value = rnd.choice(_ERROR_MAKERS)(rnd, complete)
    if isinstance(value, dict) and rnd.random() < 0.5:
        secret = rnd.choice(SECRETS)
        for name in ("message", "description"):
            if rnd.random() < 0.5:
                value[name] = f"bad token {secret}!"
        if rnd.random() < 0.5:
            value["errors"] = {secret: [f"{secret} is invalid"], "duration": junk(rnd)}
    return value


_ERROR_BODIES = bodies(_error_value, _error_value)
_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: ValidationError,
    429: RateLimitError,
}


def _check_api_error(error: APIError, status: int, secrets: tuple[str, ...]) -> None:
    """``error`` is of ``status``'s class, its properties work, and it shows no secret."""
    assert error.status == status
    if status >= 500:
        assert isinstance(error, ServerError)
    elif status in _BY_STATUS:
        assert isinstance(error, _BY_STATUS[status])
    assert isinstance(error.message, str) and error.message
    assert error.code is None or isinstance(error.code, str)
    assert error.description is None or isinstance(error.description, str)
    shown = [str(error), repr(error), repr(error.body), error.message, error.description or ""]
    if isinstance(error, ValidationError):
        errors = error.errors
        assert all(
            isinstance(k, str) and all(isinstance(m, str) for m in v) for k, v in errors.items()
        )
        shown.append(repr(errors))
    if isinstance(error, RateLimitError):
        after = error.retry_after
        assert after is None or (isinstance(after, float) and after >= 0)
    if isinstance(error, PermissionDeniedError):
        assert error.expired_at is None or isinstance(error.expired_at, str)
    if isinstance(error, QuotaExceededError):
        for number in (error.used, error.limit):
            assert number is None or isinstance(number, int)
        assert error.period is None or isinstance(error.period, str)
    if isinstance(error, ConcurrencyLimitError):
        assert error.limit is None or isinstance(error.limit, int)
    for text in shown:
        for secret in secrets:
            assert secret not in text, f"{type(error).__name__} shows a credential"


@given(endpoint=st.sampled_from(ALL), status=_STATUSES, headers=_HEADERS, body=_ERROR_BODIES)
def test_error_responses_raise_the_status_api_error(
    run: Run, wire: Wire, endpoint: Endpoint, status: int, headers: dict[str, str], body: Body
) -> None:
    """Any status 400-599, any body, any Retry-After: the APIError of that status.

    Both ``_error_from_response`` itself and every decoding method answered so.
    """
    try:
        error = _error_from_response(status, headers, body.content, secrets=SECRETS)
    except Exception as exc:  # the property: nothing escapes
        pytest.fail(f"_error_from_response raised {exc!r}")
    _check_api_error(error, status, SECRETS)

    wire.answer(lambda request: Response(status, headers, body.content))
    with pytest.raises(MubertError) as raised:
        run(endpoint.call(wire.client, wire.service))
    assert isinstance(raised.value, APIError), repr(raised.value)
    _check_api_error(raised.value, status, endpoint.secrets)


def test_every_response_schema_is_covered() -> None:
    """The endpoints above are every 200-with-a-body operation the SDK implements."""
    covered = {(e.method, "/api/v3" + e.template) for e in ALL}
    with_body = {
        key
        for key, op in OPERATIONS.items()
        if "content" in resolve(op["responses"].get("200", {}))
    }
    assert covered == with_body, sorted(with_body ^ covered)
