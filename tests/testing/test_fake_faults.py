"""Faults and timeouts applied by FakeTransport."""

from __future__ import annotations

import pytest

from mubert_async.errors import RequestTimeout, TransportError
from mubert_async.testing import FakeMubert, FakeTransport, Fault
from mubert_async.transport import Request, StreamResponse, Transport


@pytest.fixture
def transport(fake: FakeMubert) -> FakeTransport:
    return fake.transport()


def _create(api) -> Request:
    body = {"playlist_index": "1.0.0", "duration": 30}
    return api.request("POST", "/public/tracks", api.public_headers(), json=body)


def test_fake_transport_is_a_transport(transport: FakeTransport) -> None:
    assert isinstance(transport, Transport)


async def test_server_error_is_not_processed(
    api, fake: FakeMubert, transport: FakeTransport
) -> None:
    fake.faults.add(Fault.server_error(502))
    response = await transport.send(_create(api))
    assert (response.status, response.content) == (502, b'{"message":"Server Error"}')
    assert fake.stats.creates == 0 and fake.stats.faults_injected == 1
    assert (await transport.send(_create(api))).status == 200  # times=1 by default


async def test_rate_limited_with_retry_after(
    api, fake: FakeMubert, transport: FakeTransport
) -> None:
    fake.faults.add(Fault.rate_limited(retry_after=0.5, times=2))
    for _ in range(2):
        response = await transport.send(_create(api))
        assert response.status == 429
        assert response.content == b'{"message":"Too Many Attempts."}'
        assert response.headers["retry-after"] == "0.5"
    assert (await transport.send(_create(api))).status == 200


@pytest.mark.parametrize(
    ("fault", "sent", "processed"),
    [
        (Fault.connect_error(), False, False),
        (Fault.reset(after_processing=False), True, False),
        (Fault.reset(after_processing=True), True, True),
    ],
)
async def test_connection_failures(
    api, fake: FakeMubert, transport: FakeTransport, fault: Fault, sent: bool, processed: bool
) -> None:
    fake.faults.add(fault)
    with pytest.raises(TransportError) as raised:
        await transport.send(_create(api))
    assert raised.value.sent is sent
    assert fake.stats.creates == int(processed)


async def test_malformed_and_truncated_are_processed(
    api, fake: FakeMubert, transport: FakeTransport
) -> None:
    fake.faults.add(Fault.malformed())
    malformed = await transport.send(_create(api))
    assert malformed.status == 200 and not malformed.content.startswith(b"{")
    fake.faults.add(Fault.truncated())
    truncated = await transport.send(_create(api))
    whole = await transport.send(api.request("GET", "/public/playlists", api.public_headers()))
    assert truncated.status == 200 and truncated.content.startswith(b'{"data":{"id":')
    assert not truncated.content.endswith(b"}}")
    assert whole.content.endswith(b"}")
    assert fake.stats.creates == 2


async def test_slow_and_timeouts(api, fake: FakeMubert, transport: FakeTransport) -> None:
    fake.faults.add(Fault.slow(0.05))
    request = _create(api)
    request.timeout = 0.01
    with pytest.raises(RequestTimeout) as raised:
        await transport.send(request)
    assert raised.value.sent is True
    assert fake.stats.creates == 1  # processed: the ambiguous case
    fake.faults.add(Fault.slow(0.01))
    request.timeout = 1.0
    assert (await transport.send(request)).status == 200


async def test_matching_by_method_path_times_rate(
    api, fake: FakeMubert, transport: FakeTransport
) -> None:
    fault = fake.faults.add(
        Fault.server_error(method="get", path=r"/public/tracks/[^/]+$", times=None)
    )
    create = await transport.send(_create(api))
    assert create.status == 200
    track_id = create.content.split(b'"id":"')[1].split(b'"')[0].decode()
    get = api.request("GET", f"/public/tracks/{track_id}", api.public_headers())
    for _ in range(3):
        assert (await transport.send(get)).status == 503
    assert fault.hits == 3 and repr(fault).startswith("Fault('status'")
    fake.faults.clear()
    assert (await transport.send(get)).status == 200

    fake.faults.add(Fault.server_error(times=None, rate=0.5))
    statuses = [(await transport.send(get)).status for _ in range(60)]
    assert 10 < statuses.count(503) < 50


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault("explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rate"):
        Fault.malformed(rate=2.0)


async def test_stream_reads_in_chunks(api, clock, transport: FakeTransport) -> None:
    track = (await api.create(format="wav", duration=5)).data
    clock.advance(10)
    url = (await api.public("GET", f"/public/tracks/{track['id']}")).data["generations"][0]["url"]
    async with transport.stream(Request("GET", url)) as stream:
        assert stream.status == 200 and stream.headers["content-type"] == "audio/wav"
        chunks = [chunk async for chunk in stream.aiter_bytes(1000)]
    assert all(len(c) == 1000 for c in chunks[:-1])
    assert len(b"".join(chunks)) == int(stream.headers["content-length"])
    async with transport.stream(Request("GET", url)) as stream:
        assert await stream.aread() == b"".join(chunks)


async def test_reset_during_body_applies_to_streams_only(
    api, fake: FakeMubert, clock, transport: FakeTransport
) -> None:
    track = (await api.create(duration=5)).data
    clock.advance(10)
    url = (await api.public("GET", f"/public/tracks/{track['id']}")).data["generations"][0]["url"]
    fake.faults.add(Fault.reset_during_body())
    assert (await transport.send(Request("GET", url))).status == 200  # not a stream: untouched
    received = bytearray()

    async def read_into(stream: StreamResponse) -> None:
        async for chunk in stream.aiter_bytes(100):
            received.extend(chunk)

    async with transport.stream(Request("GET", url)) as stream:
        with pytest.raises(TransportError) as raised:
            await read_into(stream)
    assert raised.value.sent is True
    assert 0 < len(received) < int(stream.headers["content-length"])
    async with transport.stream(Request("GET", url)) as stream:  # used up
        assert len(await stream.aread()) == int(stream.headers["content-length"])


async def test_stream_faults_and_timeouts(api, fake: FakeMubert, transport: FakeTransport) -> None:
    request = api.request("GET", "/public/playlists", api.public_headers())
    fake.faults.add(Fault.connect_error())
    with pytest.raises(TransportError):
        async with transport.stream(request):
            pass
    fake.faults.add(Fault.server_error(503))
    async with transport.stream(request) as stream:
        assert stream.status == 503
    fake.faults.add(Fault.slow(0.05))
    request.timeout = 0.01
    with pytest.raises(RequestTimeout):
        async with transport.stream(request):
            pass
    await transport.aclose()
    await transport.aclose()
