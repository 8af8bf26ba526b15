"""``service.licenses`` and ``service.customers`` against the in-memory Mubert."""

from __future__ import annotations

import pytest

from mubert_async import (
    AuthenticationError,
    Customer,
    InvalidRequestError,
    License,
    MubertServiceClient,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    ValidationError,
)
from mubert_async.testing import FakeMubert, ManualClock


async def test_licenses(service: MubertServiceClient, fake: FakeMubert) -> None:
    licenses = await service.licenses.list()
    assert [lic.id for lic in licenses] == [fake.license_id]
    license = await service.licenses.get(fake.license_id)
    assert isinstance(license, License) and license.license_limits is not None
    updated = await service.licenses.update(
        fake.license_id, webhook_url="https://example.com/hook", webhook_enabled=True
    )
    assert (updated.webhook_url, updated.webhook_enabled) == ("https://example.com/hook", True)
    cleared = await service.licenses.update(fake.license_id, webhook_url=None)
    assert cleared.webhook_url is None and cleared.webhook_enabled is True
    with pytest.raises(NotFoundError) as info:
        await service.licenses.get("123e4567-e89b-12d3-a456-426614174000")
    assert info.value.code == "LicenseNotFound"


async def test_customer_lifecycle(service: MubertServiceClient) -> None:
    created = await service.customers.create("user-1@example.com")
    assert isinstance(created, Customer)
    assert created.custom_id == "user-1@example.com"
    assert created.access is not None and created.access.token
    assert (await service.customers.get(created.id)).id == created.id
    assert (await service.customers.get_by_custom_id("user-1@example.com")).id == created.id
    renamed = await service.customers.update(created.id, custom_id="user-1b")
    assert renamed.custom_id == "user-1b"
    await service.customers.delete(created.id)
    with pytest.raises(NotFoundError) as info:
        await service.customers.get(created.id)
    assert info.value.code == "CustomerNotFound"


async def test_duplicate_custom_id_is_a_validation_error(service: MubertServiceClient) -> None:
    await service.customers.create("dup")
    with pytest.raises(ValidationError) as info:
        await service.customers.create("dup")
    assert "custom_id" in info.value.errors


async def test_customers_pagination(service: MubertServiceClient) -> None:
    made = [(await service.customers.create(f"user-{i}")).id for i in range(5)]
    page = await service.customers.list(offset=1, limit=2)
    assert len(page.data) == 2 and page.meta.total == 5
    assert [c.id async for c in service.customers.iter(page_size=2)] == made


async def test_customers_count_quota(service: MubertServiceClient, fake: FakeMubert) -> None:
    fake.set_license_limits(customers_count_limit=1)
    await service.customers.create("only-one")
    with pytest.raises(QuotaExceededError) as info:
        await service.customers.create("one-too-many")
    assert info.value.code == "LicenseLimitUsersCount" and info.value.limit == 1


async def test_customer_client_acts_as_the_customer(
    service: MubertServiceClient, fake: FakeMubert
) -> None:
    fake.set_license_limits(
        max_concurrent_track_generations=8, customer_max_concurrent_track_generations=3
    )
    customer = await service.customers.create("player-1")
    async with service.customer_client(customer) as client:
        assert client.max_concurrent_generations == 3
        track = await client.tracks.create(duration=30, prompt="hello")
        assert (await client.tracks.get(track.id)).id == track.id
    # The shared transport stays usable after the customer client closes.
    assert (await service.customers.get(customer.id)).id == customer.id


def test_customer_client_needs_an_access_token(service: MubertServiceClient) -> None:
    with pytest.raises(InvalidRequestError):
        service.customer_client(Customer(id="c"))
    with pytest.raises(InvalidRequestError):
        service.customer_client("c")  # type: ignore[arg-type]


async def test_service_envelope_shapes_are_both_understood(clock: ManualClock) -> None:
    for envelope in (False, True):
        fake = FakeMubert(clock=clock, service_envelope=envelope)
        async with fake.service_client() as service:
            customer = await service.customers.create("shape")
            assert customer.access is not None and customer.access.token
            assert (await service.licenses.get(fake.license_id)).id == fake.license_id


async def test_wrong_credentials(fake: FakeMubert) -> None:
    async with MubertServiceClient("nope", "nope", transport=fake.transport()) as service:
        with pytest.raises(AuthenticationError) as info:
            await service.licenses.list()
    assert info.value.status == 401 and info.value.code == "Unauthenticated"


async def test_expired_access_token(
    service: MubertServiceClient, fake: FakeMubert, clock: ManualClock
) -> None:
    customer = fake.add_customer("expiring")
    fake.set_customer(customer.id, access_expired_at=clock() - 1)
    async with fake.client(customer) as client:
        with pytest.raises(PermissionDeniedError) as info:
            await client.playlists.list()
    assert info.value.code == "AccessTokenExpired"


async def test_get_or_create(service: MubertServiceClient) -> None:
    created = await service.customers.get_or_create("player-7")
    again = await service.customers.get_or_create("player-7")
    assert again.id == created.id
    assert (await service.customers.list()).meta.total == 1


async def test_get_or_create_survives_a_race(service: MubertServiceClient) -> None:
    import asyncio

    first, second = await asyncio.gather(
        service.customers.get_or_create("racer"), service.customers.get_or_create("racer")
    )
    assert first.id == second.id
