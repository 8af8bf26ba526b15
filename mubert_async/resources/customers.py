"""``service.customers``: one customer per end user of your product."""

from __future__ import annotations

from collections.abc import AsyncIterator

from .._base_client import path
from .._validation import check_custom_id, check_path_id
from ..errors import NotFoundError, ValidationError
from ..models import Customer, Page
from ..models._decoding import ResponseDecoder
from ._base import Resource, check_page, paginate

__all__ = ["Customers"]

_CUSTOMER: ResponseDecoder[Customer] = ResponseDecoder(Customer, wrapped=False)
_CUSTOMER_PAGE: ResponseDecoder[Page[Customer]] = ResponseDecoder(Page[Customer], wrapped=False)


class Customers(Resource):
    """Create, find, rename and delete customers."""

    async def create(self, custom_id: str) -> Customer:
        """A new customer, with the access token its client uses.

        ``custom_id`` is your own id for the user: letters, digits and ``. _ @ -``.
        """
        body = {"custom_id": check_custom_id(custom_id)}
        return await self._client._request_model("POST", "/service/customers", _CUSTOMER, json=body)

    async def list(self, *, offset: int = 0, limit: int = 25) -> Page[Customer]:
        """One page of the company's customers."""
        check_page(offset, limit)
        return await self._client._request_model(
            "GET",
            "/service/customers",
            _CUSTOMER_PAGE,
            params={"offset": offset, "limit": limit},
        )

    def iter(self, *, page_size: int = 100) -> AsyncIterator[Customer]:
        """Every customer, fetched page by page as the loop asks for more."""
        check_page(0, page_size, limit_name="page_size")

        async def fetch(offset: int, limit: int) -> Page[Customer]:
            return await self.list(offset=offset, limit=limit)

        return paginate(fetch, page_size)

    async def get(self, customer_id: str) -> Customer:
        """The customer with this Mubert id."""
        customer_id = check_path_id("customer_id", customer_id)
        return await self._client._request_model(
            "GET", path("/service/customers/{}", customer_id), _CUSTOMER
        )

    async def get_by_custom_id(self, custom_id: str) -> Customer:
        """The customer with this ``custom_id`` of yours."""
        custom_id = check_custom_id(custom_id)
        return await self._client._request_model(
            "GET", path("/service/customers/custom-id/{}", custom_id), _CUSTOMER
        )

    async def get_or_create(self, custom_id: str) -> Customer:
        """The customer with this ``custom_id``, created if there is none yet.

        Safe when two callers race to create the same customer: the loser of the race
        gets the winner's customer.
        """
        custom_id = check_custom_id(custom_id)
        try:
            return await self.get_by_custom_id(custom_id)
        except NotFoundError:
            pass
        try:
            return await self.create(custom_id)
        except ValidationError:  # created by someone else in the meantime ("already taken")
            return await self.get_by_custom_id(custom_id)

    async def update(self, customer_id: str, *, custom_id: str) -> Customer:
        """Change the customer's ``custom_id``."""
        customer_id = check_path_id("customer_id", customer_id)
        body = {"custom_id": check_custom_id(custom_id)}
        return await self._client._request_model(
            "PUT", path("/service/customers/{}", customer_id), _CUSTOMER, json=body
        )

    async def delete(self, customer_id: str) -> None:
        """Delete the customer and its access."""
        customer_id = check_path_id("customer_id", customer_id)
        await self._client._request("DELETE", path("/service/customers/{}", customer_id))
