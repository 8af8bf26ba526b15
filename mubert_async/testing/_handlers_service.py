"""The service directory: licenses and customers (headers company-id + license-token)."""

from __future__ import annotations

from typing import Any

from ..transport._base import Response
from ._http import api_error, json_response, no_content
from ._model import FakeCustomer, LicenseRecord
from ._paging import PAGE_FIELDS, page
from ._render import customer_json, license_json
from ._router import Call, Routes, require_active_license
from ._validation import Errors, boolean, string, validate

__all__ = ["routes"]

routes = Routes()

_CUSTOM_ID = (
    string("custom_id", required=True, minimum=1, maximum=255, pattern=r"[A-Za-z0-9._@-]+"),
)
_LICENSE_UPDATE = (string("webhook_url", nullable=True, maximum=255), boolean("webhook_enabled"))


def _single(call: Call, body: dict[str, Any]) -> Response:
    """Service single objects: bare like the OpenAPI document, or enveloped like the guide."""
    return json_response({"data": body} if call.engine.service_envelope else body)


def _license(call: Call) -> LicenseRecord:
    lic = call.engine.license
    if call.path["license"] != lic.id:
        raise api_error("LicenseNotFound")
    return lic


def _customer(call: Call, customer: FakeCustomer | None) -> FakeCustomer:
    if customer is None:
        raise api_error("CustomerNotFound")
    customer.limits.roll(call.now)
    return customer


def _show(call: Call, customer: FakeCustomer) -> Response:
    return _single(call, customer_json(customer, call.engine.license))


def _unique_custom_id(call: Call, current: FakeCustomer | None = None) -> str:
    errors = Errors()
    data = validate(call.input, _CUSTOM_ID, errors)
    custom_id: str | None = data.get("custom_id")
    if custom_id is not None:
        owner = call.engine.by_custom_id.get(custom_id)
        if owner is not None and owner is not current:
            errors.add("custom_id", "The custom id has already been taken.")
    errors.raise_if_any()
    assert custom_id is not None
    return custom_id


@routes.get("/service/licenses", auth="service")
def list_licenses(call: Call) -> Response:
    """GET /service/licenses: the company's licenses, paginated."""
    items, meta = page([call.engine.license], validate(call.input, PAGE_FIELDS))
    return json_response({"data": [license_json(lic) for lic in items], "meta": meta})


@routes.get("/service/licenses/{license}", auth="service")
def get_license(call: Call) -> Response:
    """GET /service/licenses/{license}."""
    return _single(call, license_json(_license(call)))


@routes.put("/service/licenses/{license}", auth="service", body_required=True)
def update_license(call: Call) -> Response:
    """PUT /service/licenses/{license}: webhook_url and webhook_enabled."""
    lic = _license(call)
    data = validate(call.input, _LICENSE_UPDATE)
    if "webhook_url" in call.input:
        lic.webhook_url = data.get("webhook_url")
    if "webhook_enabled" in data:
        lic.webhook_enabled = data["webhook_enabled"]
    return _single(call, license_json(lic))


@routes.get("/service/customers", auth="service")
def list_customers(call: Call) -> Response:
    """GET /service/customers: every customer, oldest first, paginated."""
    engine = call.engine
    items, meta = page(list(engine.customers.values()), validate(call.input, PAGE_FIELDS))
    data = [customer_json(_customer(call, c), engine.license) for c in items]
    return json_response({"data": data, "meta": meta})


@routes.post("/service/customers", auth="service")
def create_customer(call: Call) -> Response:
    """POST /service/customers {custom_id}: a new customer with its access token."""
    engine = call.engine
    custom_id = _unique_custom_id(call)
    require_active_license(engine, call.now)
    limits = engine.license.limits.values
    if limits["customers_count_limit"] != -1 and (
        limits["customers_count"] >= limits["customers_count_limit"]
    ):
        raise api_error(
            "LicenseLimitUsersCount", customers_count_limit=limits["customers_count_limit"]
        )
    return _show(call, engine.add_customer(custom_id, call.now))


@routes.get("/service/customers/custom-id/{customId}", auth="service")
def get_customer_by_custom_id(call: Call) -> Response:
    """GET /service/customers/custom-id/{customId}."""
    return _show(call, _customer(call, call.engine.by_custom_id.get(call.path["customId"])))


@routes.get("/service/customers/{customer}", auth="service")
def get_customer(call: Call) -> Response:
    """GET /service/customers/{customer}."""
    return _show(call, _customer(call, call.engine.customers.get(call.path["customer"])))


@routes.put("/service/customers/{customer}", auth="service")
def update_customer(call: Call) -> Response:
    """PUT /service/customers/{customer} {custom_id}."""
    customer = _customer(call, call.engine.customers.get(call.path["customer"]))
    call.engine.rename_customer(customer, _unique_custom_id(call, customer))
    return _show(call, customer)


@routes.delete("/service/customers/{customer}", auth="service")
def delete_customer(call: Call) -> Response:
    """DELETE /service/customers/{customer}: 204."""
    call.engine.delete_customer(_customer(call, call.engine.customers.get(call.path["customer"])))
    return no_content()
