"""Routing: path templates to handlers, authentication, and the input a handler sees."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

import msgspec

from ..transport._base import Request, Response
from ._clock import rfc3339
from ._engine import Engine
from ._http import HttpError, api_error, not_found, validation_error
from ._model import FakeCustomer

__all__ = ["API_PREFIX", "Call", "Handler", "Router", "Routes", "require_active_license"]

API_PREFIX = "/api/v3"
Auth = Literal["service", "public"]


@dataclass(slots=True)
class Call:
    """What a handler gets: the engine, the request, path parameters and merged input.

    ``input`` is Laravel's view of a request: query parameters overlaid with the JSON
    or multipart body, strings trimmed and empty strings turned into None.
    ``customer`` is the authenticated customer on public paths.
    """

    engine: Engine
    request: Request
    now: float
    path: dict[str, str]
    input: dict[str, Any]
    customer: FakeCustomer | None = None

    @property
    def me(self) -> FakeCustomer:
        """The authenticated customer (public paths only)."""
        assert self.customer is not None
        return self.customer


Handler = Callable[[Call], Response]


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: Auth
    body_required: bool


class Routes:
    """A module's routes, registered with ``@routes.get("/public/...", auth="public")``.

    Every POST/PUT/DELETE route takes a JSON object body (or multipart); one that is
    not a JSON object is a 422. ``body_required`` routes (whose fields are all
    optional but whose body the OpenAPI document requires) also answer 422 to a
    request without any body.
    """

    def __init__(self) -> None:
        self.items: list[_Route] = []

    def add(
        self, method: str, template: str, auth: Auth, *, body_required: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register the decorated handler for ``method`` on ``template`` (``{name}`` params)."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))

        def register(handler: Handler) -> Handler:
            self.items.append(_Route(method, re.compile(regex), handler, auth, body_required))
            return handler

        return register

    def get(self, template: str, auth: Auth) -> Callable[[Handler], Handler]:
        """Register a GET handler."""
        return self.add("GET", template, auth)

    def post(
        self, template: str, auth: Auth, *, body_required: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a POST handler."""
        return self.add("POST", template, auth, body_required=body_required)

    def put(
        self, template: str, auth: Auth, *, body_required: bool = False
    ) -> Callable[[Handler], Handler]:
        """Register a PUT handler."""
        return self.add("PUT", template, auth, body_required=body_required)

    def delete(self, template: str, auth: Auth) -> Callable[[Handler], Handler]:
        """Register a DELETE handler."""
        return self.add("DELETE", template, auth)


FileHandler = Callable[[Engine, str, str, float], Response]


class Router:
    """Finds the handler for a request (API path after ``/api/v3`` on any host, or a file)."""

    def __init__(self, engine: Engine, tables: Iterable[Routes], files: FileHandler) -> None:
        self._engine = engine
        self._routes = [route for table in tables for route in table.items]
        self._files = files

    def dispatch(self, request: Request, now: float) -> Response:
        """Answer ``request``; errors raised by handlers become their responses."""
        try:
            return self._dispatch(request, now)
        except HttpError as error:
            return error.response()

    def _dispatch(self, request: Request, now: float) -> Response:
        path = urlsplit(request.url).path
        at = path.find(API_PREFIX + "/")
        if at < 0:
            files_path = urlsplit(self._engine.files_base_url).path.rstrip("/") + "/"
            if path.startswith(files_path):
                return self._files(self._engine, request.method, path[len(files_path) :], now)
            raise not_found()
        sub = path[at + len(API_PREFIX) :]
        method = request.method.upper()
        allowed: list[str] = []
        for route in self._routes:
            match = route.pattern.fullmatch(sub)
            if match is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            headers = {k.lower(): v for k, v in request.headers.items()}
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            customer = None
            if route.auth == "service":
                self._authenticate_service(headers)
            else:
                customer = self._authenticate_public(headers, now)
            data = _input(request, body=method != "GET", body_required=route.body_required)
            return route.handler(Call(self._engine, request, now, params, data, customer))
        if allowed:
            raise HttpError(
                405,
                {
                    "message": f"The {method} method is not supported for route "
                    f"{path.lstrip('/')}. Supported methods: {', '.join(allowed)}."
                },
                {"allow": ", ".join(allowed)},
            )
        raise not_found()

    def _authenticate_service(self, headers: Mapping[str, str]) -> None:
        engine = self._engine
        if not (
            _same(headers.get("company-id"), engine.company_id)
            and _same(headers.get("license-token"), engine.license_token)
        ):
            raise _unauthenticated()

    def _authenticate_public(self, headers: Mapping[str, str], now: float) -> FakeCustomer:
        engine = self._engine
        customer = engine.customers.get(headers.get("customer-id") or "")
        if customer is None or not _same(headers.get("access-token"), customer.access_token):
            raise _unauthenticated()
        customer.limits.roll(now)
        if customer.status != "active":
            raise api_error("CustomerIsNotActive")
        expired = customer.access_expired_at
        if expired is not None and now >= expired:
            raise api_error("AccessTokenExpired", expired_at=rfc3339(expired))
        require_active_license(engine, now)
        return customer


def require_active_license(engine: Engine, now: float) -> None:
    """403 LicenseIsNotActive / LicenseExpired unless the license can be used."""
    lic = engine.license
    if lic.status != "active":
        raise api_error("LicenseIsNotActive")
    if lic.expired_at is not None and now >= lic.expired_at:
        raise api_error("LicenseExpired", expired_at=rfc3339(lic.expired_at))


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _unauthenticated() -> HttpError:
    return api_error("Unauthenticated")


_NOT_AN_OBJECT = "The request body must be a JSON object."
_NO_BODY = "The request body is required."


def _input(request: Request, *, body: bool, body_required: bool) -> dict[str, Any]:
    """Query parameters overlaid with the JSON object body (GET's too, as Laravel), normalized.

    Where the route takes a ``body``, one that is not a JSON object is a 422, and so
    is no body at all where ``body_required``.
    """
    query = urlsplit(request.url).query
    data: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    data.update(request.params or {})
    form = request.form
    if form is not None:
        data.update(form.fields)
        data.update(form.files)
    elif request.content:
        try:
            decoded = msgspec.json.decode(request.content)
        except msgspec.DecodeError:
            decoded = None
        if isinstance(decoded, dict):
            data.update(decoded)
        elif body:
            raise validation_error({"body": [_NOT_AN_OBJECT]})
    empty = not request.content and (form is None or not (form.fields or form.files))
    if body_required and empty:
        raise validation_error({"body": [_NO_BODY]})
    return {key: _normalize(value) for key, value in data.items()}


def _normalize(value: Any) -> Any:
    """Laravel's TrimStrings and ConvertEmptyStringsToNull."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value
