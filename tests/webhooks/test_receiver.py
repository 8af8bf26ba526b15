"""WebhookReceiver.handle: authentication, size, decoding, idempotency, and who learns of it."""

from __future__ import annotations

import inspect
import logging

import anyio
import pytest
from webhook_bodies import T0, T1, T2, T3, body, generation, track

from mubert_async import GenerationStatus, InvalidRequestError, Track
from mubert_async.testing import FakeMubert
from mubert_async.webhooks import WebhookReceiver
from mubert_async.webhooks._store import TrackStore

DONE = body(track("track-1", generation("done")))
PROCESSING = body(track("track-1", generation("processing")))


def test_signature_is_the_one_api_md_promises() -> None:
    params = inspect.signature(WebhookReceiver.__init__).parameters
    assert [(p.name, p.kind, p.default) for p in list(params.values())[1:]] == [
        ("token", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
        ("max_body", inspect.Parameter.KEYWORD_ONLY, 1_048_576),
        ("coordination", inspect.Parameter.KEYWORD_ONLY, None),
    ]
    for name in ("token", "webhook_url", "handle", "aiohttp_app", "aiohttp_handler"):
        assert getattr(WebhookReceiver, name).__doc__, name


def test_a_token_is_generated_url_safe_and_unique() -> None:
    first, second = WebhookReceiver(), WebhookReceiver()
    assert first.token != second.token
    assert len(first.token) >= 43 and first.token.replace("-", "").replace("_", "").isalnum()
    assert WebhookReceiver("a-given_token-0123456789").token == "a-given_token-0123456789"


@pytest.mark.parametrize(
    "token", ["", "short", "has/slash-0123456789", "has space 0123456789", "é" * 20, "x" * 129, 42]
)
def test_a_given_token_must_be_url_safe_and_long_enough(token: object) -> None:
    with pytest.raises(InvalidRequestError, match="token"):
        WebhookReceiver(token)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_body", [0, -1, True, 1.5])
def test_max_body_must_be_a_positive_int(max_body: object) -> None:
    with pytest.raises(InvalidRequestError, match="max_body"):
        WebhookReceiver(max_body=max_body)  # type: ignore[arg-type]


async def test_a_delivery_is_decoded_into_a_track(receiver: WebhookReceiver) -> None:
    assert await receiver.handle(receiver.token, DONE) == 200
    delivered = receiver.latest("track-1")
    assert isinstance(delivered, Track)
    assert delivered.status == GenerationStatus.DONE
    assert delivered.url == "https://files.example/g1.mp3"
    assert receiver.stats.accepted == 1


async def test_the_data_envelope_and_integer_intensity_are_accepted(
    receiver: WebhookReceiver,
) -> None:
    wrapped = {"data": {**track("track-2"), "intensity": 1}}
    assert await receiver.handle(receiver.token, body(wrapped)) == 200
    delivered = receiver.latest("track-2")
    assert delivered is not None and delivered.intensity == "low"


@pytest.mark.parametrize(
    "token",
    ["wrong", "", "é", "\x00", None],
    ids=["other", "empty", "non-ascii", "nul", "not-a-string"],
)
async def test_a_wrong_token_is_404_and_nothing_is_processed(
    receiver: WebhookReceiver, token: object
) -> None:
    seen: list[Track] = []
    receiver.add_listener(seen.append)
    assert await receiver.handle(token, DONE) == 404  # type: ignore[arg-type]
    # Also a near miss: the right token with one more or one less character.
    assert await receiver.handle(receiver.token[:-1], DONE) == 404
    assert await receiver.handle(receiver.token + "x", DONE) == 404
    assert receiver.latest("track-1") is None and seen == []
    assert receiver.stats.accepted == 0 and receiver.stats.wrong_token == 3


async def test_a_wrong_token_is_refused_before_the_body_is_looked_at() -> None:
    small = WebhookReceiver(max_body=10)
    assert await small.handle("wrong", b"x" * 100) == 404  # not 413: nothing learned
    assert await small.handle("wrong", b"not json") == 404
    assert small.stats.too_large == small.stats.malformed == 0


async def test_an_oversized_body_is_413() -> None:
    small = WebhookReceiver(max_body=len(DONE))
    assert await small.handle(small.token, DONE + b" ") == 413
    assert small.latest("track-1") is None and small.stats.too_large == 1
    assert await small.handle(small.token, DONE) == 200  # exactly max_body is allowed


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"{",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"data": null}',
        b'{"generations": []}',
        b'{"id": 42}',
        b'{"id": ""}',
        b'{"id": "t", "generations": [{"format": "mp3"}]}',
        b'{"id": "t", "generations": [{"status": "done", "created_at": "yesterday"}]}',
        b"[" * 100_000,
    ],
    ids=lambda c: repr(c[:30]),
)
async def test_a_malformed_body_is_400(receiver: WebhookReceiver, content: bytes) -> None:
    assert await receiver.handle(receiver.token, content) == 400
    assert receiver.stats.malformed == 1 and receiver.stats.accepted == 0


async def test_a_duplicate_is_200_and_processed_once(receiver: WebhookReceiver) -> None:
    seen: list[Track] = []
    receiver.add_listener(seen.append)
    for _ in range(3):
        assert await receiver.handle(receiver.token, DONE) == 200
    assert len(seen) == 1
    assert (receiver.stats.accepted, receiver.stats.ignored) == (1, 2)


async def test_out_of_order_deliveries_change_nothing(receiver: WebhookReceiver) -> None:
    """A late "processing" never replaces "done"; an earlier generation never a later one."""
    seen: list[str | None] = []
    receiver.add_listener(lambda t: seen.append(t.status))
    first = generation("done", created=T0, generated=T1, session="g1")
    second_running = generation("processing", created=T2, session="g2")
    second_failed = generation("failed", created=T2, generated=T3, session="g2")
    deliveries = [
        track("track-1", first, second_failed),  # the newest state arrives first
        track("track-1", first, second_running),  # the generation still running: older
        track("track-1", first),  # before the second generation was made: older
        track("track-1", generation("processing")),  # the very first state: older
        track("track-1", first, second_failed),  # duplicate
    ]
    for delivery in deliveries:
        assert await receiver.handle(receiver.token, body(delivery)) == 200
    assert seen == ["failed"]
    latest = receiver.latest("track-1")
    assert latest is not None and latest.status == "failed" and len(latest.generations or ()) == 2
    assert (receiver.stats.accepted, receiver.stats.ignored) == (1, 4)


async def test_in_order_deliveries_are_each_processed(receiver: WebhookReceiver) -> None:
    seen: list[str | None] = []
    receiver.add_listener(lambda t: seen.append(t.status))
    first = generation("done", created=T0, generated=T1, session="g1")
    for delivery in (
        track("track-1", generation("processing", session="g1")),
        track("track-1", first),
        track("track-1", first, generation("processing", created=T2, session="g2")),
        track("track-1", first, generation("done", created=T2, generated=T3, session="g2")),
    ):
        assert await receiver.handle(receiver.token, body(delivery)) == 200
    assert seen == ["processing", "done", "processing", "done"]


async def test_a_later_generated_at_of_the_same_generation_is_newer(
    receiver: WebhookReceiver,
) -> None:
    early = generation("done", generated=T1)
    late = generation("done", generated=T2)
    assert receiver.accept(Track(**_fields(track("track-1", early))))
    assert receiver.accept(Track(**_fields(track("track-1", late))))
    assert not receiver.accept(Track(**_fields(track("track-1", early))))


def _fields(value: dict[str, object]) -> dict[str, object]:
    import msgspec

    return msgspec.structs.asdict(msgspec.convert(value, Track))


async def test_tracks_are_independent(receiver: WebhookReceiver) -> None:
    for track_id in ("a", "b", "c"):
        assert await receiver.handle(receiver.token, body(track(track_id))) == 200
    assert receiver.stats.accepted == 3
    assert {t.id for t in map(receiver.latest, "abc") if t is not None} == {"a", "b", "c"}


async def test_a_delivery_before_the_wait_is_kept(receiver: WebhookReceiver) -> None:
    assert await receiver.handle(receiver.token, DONE) == 200
    with anyio.fail_after(1):
        delivered = await receiver.wait_for("track-1", timeout=0)
    assert delivered.status == "done"


async def test_wait_for_wakes_on_the_final_state_only(receiver: WebhookReceiver) -> None:
    got: list[Track] = []

    async def waiter() -> None:
        got.append(await receiver.wait_for("track-1", timeout=5))

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        assert await receiver.handle(receiver.token, PROCESSING) == 200
        await anyio.wait_all_tasks_blocked()
        assert got == []  # processing is not what it waits for
        assert await receiver.handle(receiver.token, DONE) == 200
    assert [t.status for t in got] == ["done"]
    assert receiver._store.waiting() == 0


async def test_many_waiters_of_one_track_all_wake(receiver: WebhookReceiver) -> None:
    got: list[str | None] = []

    async def waiter() -> None:
        got.append((await receiver.wait_for("track-1", timeout=5)).status)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        await receiver.handle(receiver.token, DONE)
    assert got == ["done"] * 5


async def test_wait_for_with_a_custom_condition(receiver: WebhookReceiver) -> None:
    await receiver.handle(receiver.token, PROCESSING)
    running = await receiver.wait_for("track-1", timeout=0, until=lambda t: t.status is not None)
    assert running.status == "processing"


async def test_wait_for_times_out_and_leaves_nothing_behind(receiver: WebhookReceiver) -> None:
    await receiver.handle(receiver.token, PROCESSING)
    with pytest.raises(TimeoutError):
        await receiver.wait_for("track-1", timeout=0.01)
    with pytest.raises(TimeoutError):
        await receiver.wait_for("never-delivered", timeout=0)
    assert receiver._store.waiting() == 0 and receiver._store._waiters == {}


async def test_a_cancelled_wait_leaves_nothing_behind(receiver: WebhookReceiver) -> None:
    with anyio.move_on_after(0.01) as scope:
        await receiver.wait_for("track-1", timeout=None)
    assert scope.cancelled_caught
    assert receiver._store.waiting() == 0 and receiver._store._waiters == {}
    assert await receiver.handle(receiver.token, DONE) == 200  # nobody to wake: no error


async def test_an_error_of_the_condition_reaches_the_waiter(receiver: WebhookReceiver) -> None:
    def broken(_track: Track) -> bool:
        raise KeyError("boom")

    errors: list[BaseException] = []

    async def waiter() -> None:
        try:
            await receiver.wait_for("track-1", timeout=5, until=broken)
        except KeyError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        assert await receiver.handle(receiver.token, DONE) == 200  # the delivery still counts
    assert [str(e) for e in errors] == ["'boom'"]
    assert receiver.latest("track-1") is not None and receiver._store.waiting() == 0


@pytest.mark.parametrize("timeout", [-1, float("nan"), float("inf")])
async def test_wait_for_checks_its_timeout(receiver: WebhookReceiver, timeout: float) -> None:
    with pytest.raises(ValueError, match="timeout"):
        await receiver.wait_for("track-1", timeout=timeout)


async def test_a_failing_listener_does_not_change_the_answer(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Track] = []

    def broken(_track: Track) -> None:
        raise RuntimeError("listener bug")

    receiver.add_listener(broken)
    remove = receiver.add_listener(seen.append)
    with caplog.at_level(logging.ERROR, logger="mubert_async.webhooks"):
        assert await receiver.handle(receiver.token, DONE) == 200
    assert len(seen) == 1 and "listener" in caplog.text
    remove()
    remove()  # twice is harmless
    await receiver.handle(receiver.token, body(track("track-2")))
    assert len(seen) == 1


def test_states_are_kept_for_a_while_then_let_go() -> None:
    now = [0.0]
    store = TrackStore(keep_for=600, keep_tracks=10_000, clock=lambda: now[0])
    done = Track(**_fields(track("track-1")))
    assert store.offer(done)
    now[0] = 599.0
    assert store.latest("track-1") is done
    assert not store.offer(done)  # a duplicate does not extend the time either
    now[0] = 600.5
    assert store.latest("track-1") is None and len(store) == 0
    assert store.offer(done)  # let go: taken as new


def test_only_the_most_recently_updated_states_are_kept() -> None:
    store = TrackStore(keep_for=600, keep_tracks=3, clock=lambda: 0.0)
    for track_id in "abcd":
        store.offer(Track(**_fields(track(track_id))))
    assert [store.latest(t) is not None for t in "abcd"] == [False, True, True, True]
    assert len(store) == 3
    # Updating b makes it the most recent: the next newcomer pushes out c, not b.
    newer = generation("done", created=T2, generated=T3, session="g2")
    assert store.offer(Track(**_fields(track("b", newer))))
    store.offer(Track(**_fields(track("e"))))
    assert [store.latest(t) is not None for t in "bcde"] == [True, False, True, True]


def test_the_receiver_keeps_ten_minutes_and_ten_thousand_tracks() -> None:
    receiver = WebhookReceiver()
    assert (receiver._store.keep_for, receiver._store.keep_tracks) == (600.0, 10_000)


async def test_the_token_is_never_logged_or_shown(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeMubert(service_envelope=True)
    receiver = WebhookReceiver()
    with caplog.at_level(logging.DEBUG):
        async with fake.service_client() as service:
            await receiver.register(service, fake.license_id, "https://example.com/hooks")
        await receiver.handle(receiver.token, DONE)
        await receiver.handle(receiver.token, DONE)
        await receiver.handle(receiver.token, b"{")
        await receiver.handle(receiver.token, b" " * 2_000_000)
        await receiver.handle(receiver.token[:-1], DONE)
        await receiver.wait_for("track-1", timeout=0)
    messages = [record.getMessage() for record in caplog.records]
    assert "webhook delivery accepted for track track-1 (done)" in messages
    assert any("wrong token (404)" in m for m in messages)
    assert any("(413)" in m for m in messages) and any("(400)" in m for m in messages)
    assert receiver.token not in caplog.text
    assert receiver.token[:-1] not in caplog.text
    for shown in (repr(receiver), str(receiver), repr(receiver.stats)):
        assert receiver.token not in shown
    assert repr(receiver).startswith("WebhookReceiver(token=***")


async def test_register_sets_and_enables_the_webhook() -> None:
    fake = FakeMubert()
    receiver = WebhookReceiver()
    async with fake.service_client() as service:
        license = await receiver.register(service, fake.license_id, "https://example.com/hooks/")
        assert license.webhook_enabled
        assert license.webhook_url == f"https://example.com/hooks/{receiver.token}"
        assert (await service.licenses.get(fake.license_id)).webhook_url == license.webhook_url


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("https://example.com", "https://example.com/{}"),
        ("https://example.com/mubert/", "https://example.com/mubert/{}"),
        ("http://127.0.0.1:8000/hooks", "http://127.0.0.1:8000/hooks/{}"),
        ("http://localhost:9/x", "http://localhost:9/x/{}"),
        ("http://[::1]:9", "http://[::1]:9/{}"),
    ],
)
def test_webhook_url(receiver: WebhookReceiver, base: str, url: str) -> None:
    assert receiver.webhook_url(base) == url.format(receiver.token)


@pytest.mark.parametrize(
    "base",
    [
        "http://example.com/hooks",  # plain http off loopback
        "ftp://example.com",
        "example.com/hooks",
        "https://",
        "https://example.com/hooks\r\nX-Injected: 1",
        "https://example.com/ho\nks",
        "https://example.com/hooks\t",
        "https://example.com/hooks?x=1",
        "https://example.com/hooks#frag",
        "https://user:pass@example.com/hooks",
        "http://[",
        "https://example.com/" + "x" * 200,  # with the token, over the 255 characters
        None,
    ],
)
def test_webhook_url_refuses_unsafe_bases(receiver: WebhookReceiver, base: object) -> None:
    with pytest.raises(InvalidRequestError, match="public_base"):
        receiver.webhook_url(base)  # type: ignore[arg-type]


async def test_register_checks_before_sending() -> None:
    fake = FakeMubert()
    receiver = WebhookReceiver()
    async with fake.service_client() as service:
        with pytest.raises(InvalidRequestError):
            await receiver.register(service, fake.license_id, "http://example.com")
    assert fake.stats.requests == 0
