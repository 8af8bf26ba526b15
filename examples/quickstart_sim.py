"""Provision a customer and generate a track, all on the built-in simulator.

No credentials, no network: ``FakeMubert`` answers exactly like the Mubert v3 API.
Swap ``fake.transport()`` for nothing (and set MUBERT_COMPANY_ID / MUBERT_LICENSE_TOKEN)
to run the same code against the real API.

    python examples/quickstart_sim.py
"""

from __future__ import annotations

import asyncio

from mubert_async import GenerationStatus, MubertServiceClient
from mubert_async.testing import FakeMubert


async def main() -> None:
    fake = FakeMubert(generation_time=0.3)
    async with MubertServiceClient(
        fake.company_id, fake.license_token, transport=fake.transport()
    ) as service:
        license = (await service.licenses.list())[0]
        print(f"license {license.id}: features {', '.join(license.features)}")

        customer = await service.customers.create("demo-user-1")
        print(f"customer {customer.id} created for custom_id {customer.custom_id!r}")

        client = service.customer_client(customer)
        playlists = await client.playlists.list()
        print(
            f"{len(playlists)} channels, e.g. {playlists[0].playlist_index} {playlists[0].channel}"
        )

        track = await client.tracks.create(
            playlist_index=playlists[0].playlist_index,
            duration=60,
            format="wav",
            intensity="medium",
        )
        print(f"track {track.id} is {track.status}")
        while track.status == GenerationStatus.PROCESSING:
            await asyncio.sleep(0.1)
            track = await client.tracks.get(track.id)
        print(f"track {track.id} is {track.status}: {track.url}")

        page = await client.tracks.list()
        print(f"the customer has {page.meta.total} track(s)")


if __name__ == "__main__":
    asyncio.run(main())
