"""Properties of de-duplication: whatever the order and the repeats, the newest state wins.

Deliveries are states of one track (generations made at a few moments, each processing,
done or failed, finished at a few moments), delivered in any order, any number of times.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from mubert_async import Track
from mubert_async.webhooks import WebhookReceiver
from mubert_async.webhooks._freshness import progress

START = datetime(2025, 1, 1, tzinfo=timezone.utc)
moments = st.integers(0, 3).map(lambda s: START + timedelta(seconds=10 * s))


@st.composite
def states(draw: st.DrawFn) -> Track:
    generations = []
    for index in range(draw(st.integers(0, 3))):
        status = draw(st.sampled_from(["processing", "done", "failed", "queued"]))
        finished = draw(moments) if status in ("done", "failed") else None
        generations.append(
            {
                "session_id": f"g{index}",
                "status": status,
                "created_at": draw(st.one_of(st.none(), moments)),
                "generated_at": finished,
            }
        )
    return msgspec.convert({"id": "track-1", "generations": generations}, Track)


deliveries = st.lists(states(), min_size=1, max_size=8).flatmap(
    lambda distinct: st.lists(st.sampled_from(distinct), min_size=1, max_size=20)
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(deliveries)
def test_the_newest_state_wins_in_any_order(sent: list[Track]) -> None:
    receiver = WebhookReceiver()
    seen: list[Track] = []
    receiver.add_listener(seen.append)
    for track in sent:
        receiver.accept(track)
    latest = receiver.latest("track-1")
    assert latest is not None
    assert progress(latest) == max(map(progress, sent))
    ranks = [progress(track) for track in seen]
    assert ranks == sorted(set(ranks))  # each accepted delivery strictly newer than the last
    assert receiver.stats.accepted + receiver.stats.ignored == len(sent)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(deliveries, st.randoms(use_true_random=False))
def test_the_outcome_does_not_depend_on_the_order(sent: list[Track], rng) -> None:
    forward, shuffled = WebhookReceiver(), WebhookReceiver()
    for track in sent:
        forward.accept(track)
    mixed = list(sent)
    rng.shuffle(mixed)
    for track in mixed:
        shuffled.accept(track)
    first, second = forward.latest("track-1"), shuffled.latest("track-1")
    assert first is not None and second is not None
    assert progress(first) == progress(second)
    if first.status in ("done", "failed"):
        assert second.status in ("done", "failed")
