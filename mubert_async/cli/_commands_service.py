"""``mubert customers ...`` and ``mubert licenses ...``: the service directory (company)."""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

import click

from .._base_client import NOT_GIVEN, NotGiven
from .._config import DEFAULT_BASE_URL, ENV_BASE_URL, PUBLIC_AUTH
from ..models import Customer, License
from ._context import CliError, State
from ._files import EnvFileError, merge_env_file
from ._options import Listing, OrderedGroup, lookup, page_options, pass_state, show_listing
from ._render import show_customer, show_customers, show_license, show_licenses

if TYPE_CHECKING:
    from .. import MubertServiceClient

__all__ = ["customers", "licenses"]


@click.group(cls=OrderedGroup, short_help="Manage the company's customers (service API).")
def customers() -> None:
    """The company's customers (one per end user of your product).

    Uses the company's credentials, MUBERT_COMPANY_ID and MUBERT_LICENSE_TOKEN.
    Access tokens are never printed; `customers create --env-file` saves one.
    """


@customers.command("list")
@page_options("customers")
@pass_state
def customers_list(state: State, limit: int, offset: int, all_: bool) -> None:
    """List the company's customers.

    JSON: {"data": [customers], "meta": {"total", "limit", "offset"}}, tokens masked.
    """
    listing = state.run_service(
        lambda service: Listing.fetch(
            every=all_,
            page=lambda: service.customers.list(limit=limit, offset=offset),
            iterate=service.customers.iter,
            offset=offset,
        )
    )
    show_listing(state.out, listing, show_customers)


@customers.command("get", short_help="Show a customer by its Mubert id.")
@lookup("customer_id", show_customer, service=True)
async def customers_get(service: MubertServiceClient, customer_id: str) -> Customer:
    """Show the customer with this Mubert id, with its limits and usage."""
    return await service.customers.get(customer_id)


@customers.command("get-by-custom-id", short_help="Show a customer by your custom id.")
@lookup("custom_id", show_customer, service=True)
async def customers_get_by_custom_id(service: MubertServiceClient, custom_id: str) -> Customer:
    """Show the customer with this custom id (your own id for the user)."""
    return await service.customers.get_by_custom_id(custom_id)


@customers.command("create", short_help="Create a customer (its token is never printed).")
@click.argument("custom_id")
@click.option(
    "--save-env",
    "env_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Save the new customer's MUBERT_CUSTOMER_ID and MUBERT_ACCESS_TOKEN to this "
    "dotenv file (mode 0600; other lines are kept).",
)
@pass_state
def customers_create(state: State, custom_id: str, env_file: pathlib.Path | None) -> None:
    """Create a customer for your user CUSTOM_ID (letters, digits and . _ @ -).

    The new customer's access token is never printed. Pass --save-env FILE to save its
    credentials, then act as it with `mubert --env-file FILE ...`.
    """

    async def create(service: MubertServiceClient) -> tuple[Customer, str]:
        return await service.customers.create(custom_id), service.base_url

    customer, base_url = state.run_service(create)
    access = customer.access
    if access is not None:
        state.redactor.add(access.token)
    if env_file is not None:
        if access is None or not access.token:
            raise CliError("the API returned no access token for the new customer", exit_code=3)
        updates = {
            PUBLIC_AUTH.id_env: access.customer_id or customer.id,
            PUBLIC_AUTH.token_env: access.token,
        }
        if base_url != DEFAULT_BASE_URL and not state.sim:
            updates[ENV_BASE_URL] = base_url
        try:
            merge_env_file(env_file, updates)
        except (OSError, EnvFileError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise CliError(
                f"customer {customer.id} was created, but its credentials could not be "
                f"written to {str(env_file)!r}: {reason}",
                exit_code=1,
            ) from None
        state.out.note(f"saved the customer's credentials to {env_file}")
    state.out.show(customer, show_customer)


@customers.command("update")
@click.argument("customer_id")
@click.option("--custom-id", required=True, help="The new custom id.")
@pass_state
def customers_update(state: State, customer_id: str, custom_id: str) -> None:
    """Change a customer's custom id."""
    customer = state.run_service(
        lambda service: service.customers.update(customer_id, custom_id=custom_id)
    )
    state.out.show(customer, show_customer)


@customers.command("delete")
@click.argument("customer_id")
@pass_state
def customers_delete(state: State, customer_id: str) -> None:
    """Delete a customer and its access."""
    state.run_service(lambda service: service.customers.delete(customer_id))
    state.out.result({"deleted": customer_id}, f"deleted customer {customer_id}")


# -- licenses -------------------------------------------------------------------------


@click.group(cls=OrderedGroup, short_help="Show licenses and set their webhook (service API).")
def licenses() -> None:
    """The company's licenses: what they allow, their usage and their webhook.

    Uses the company's credentials, MUBERT_COMPANY_ID and MUBERT_LICENSE_TOKEN.
    """


@licenses.command("list")
@pass_state
def licenses_list(state: State) -> None:
    """List the company's licenses."""
    state.out.show(state.run_service(lambda service: service.licenses.list()), show_licenses)


@licenses.command("get", short_help="Show a license, its limits and usage.")
@lookup("license_id", show_license, service=True)
async def licenses_get(service: MubertServiceClient, license_id: str) -> License:
    """Show a license: allowed features, formats, bitrates, limits and usage."""
    return await service.licenses.get(license_id)


@licenses.command("update")
@click.argument("license_id")
@click.option("--webhook-url", metavar="URL", help="Where Mubert posts finished tracks.")
@click.option("--no-webhook-url", is_flag=True, help="Remove the webhook URL.")
@click.option(
    "--webhook/--no-webhook", "webhook", default=None, help="Enable or disable the webhook."
)
@pass_state
def licenses_update(
    state: State,
    license_id: str,
    webhook_url: str | None,
    no_webhook_url: bool,
    webhook: bool | None,
) -> None:
    """Set, clear, enable or disable a license's webhook.

    \b
    Examples:
      mubert licenses update LICENSE_ID --webhook-url https://example.com/hook --webhook
      mubert licenses update LICENSE_ID --no-webhook
    """
    if webhook_url is not None and no_webhook_url:
        raise click.UsageError("--webhook-url and --no-webhook-url exclude each other")
    if webhook_url is None and not no_webhook_url and webhook is None:
        raise click.UsageError(
            "nothing to change: give --webhook-url URL, --no-webhook-url or --webhook/--no-webhook"
        )
    url: str | NotGiven | None = NOT_GIVEN
    if webhook_url is not None:
        url = webhook_url
    elif no_webhook_url:
        url = None
    enabled: bool | NotGiven = NOT_GIVEN if webhook is None else webhook
    lic = state.run_service(
        lambda service: service.licenses.update(
            license_id, webhook_url=url, webhook_enabled=enabled
        )
    )
    state.out.show(lic, show_license)
