"""``service.licenses``: the company's licenses, limits and webhook."""

from __future__ import annotations

from typing import Any

from .._base_client import NOT_GIVEN, NotGiven, path
from .._validation import check_bool, check_http_url, check_path_id
from ..errors import InvalidRequestError
from ..models import License
from ..models._decoding import ResponseDecoder
from ._base import Resource

__all__ = ["Licenses"]

_LICENSE: ResponseDecoder[License] = ResponseDecoder(License, wrapped=False)
_LICENSES: ResponseDecoder[list[License]] = ResponseDecoder(list[License])


def _check_webhook_url(value: Any) -> str | None:
    return None if value is None else check_http_url("webhook_url", value, max_length=255)


class Licenses(Resource):
    """Read licenses and set their webhook."""

    async def list(self) -> list[License]:
        """Every license of the company."""
        return await self._client._request_model("GET", "/service/licenses", _LICENSES)

    async def get(self, license_id: str) -> License:
        """One license with its limits and usage."""
        license_id = check_path_id("license_id", license_id)
        return await self._client._request_model(
            "GET", path("/service/licenses/{}", license_id), _LICENSE
        )

    async def update(
        self,
        license_id: str,
        *,
        webhook_url: str | NotGiven | None = NOT_GIVEN,
        webhook_enabled: bool | NotGiven = NOT_GIVEN,
    ) -> License:
        """Set the webhook that receives finished tracks; ``webhook_url=None`` clears it."""
        license_id = check_path_id("license_id", license_id)
        body: dict[str, Any] = {}
        if not isinstance(webhook_url, NotGiven):
            body["webhook_url"] = _check_webhook_url(webhook_url)
        if not isinstance(webhook_enabled, NotGiven):
            body["webhook_enabled"] = check_bool("webhook_enabled", webhook_enabled)
        if not body:
            raise InvalidRequestError("update", "give webhook_url and/or webhook_enabled")
        return await self._client._request_model(
            "PUT", path("/service/licenses/{}", license_id), _LICENSE, json=body
        )
