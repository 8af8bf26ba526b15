"""The package exports exactly its public names, under ``mubert_async``, and they pickle."""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import subprocess
import sys
import typing
from typing import Any

import pytest

import mubert_async
from mubert_async import errors

PUBLIC = [
    "DEFAULT_BASE_URL",
    "NOT_GIVEN",
    "APIError",
    "AiohttpTransport",
    "AuthenticationError",
    "BatchProgress",
    "ClientOptions",
    "ClientClosedError",
    "ConcurrencyLimitError",
    "CreateFields",
    "CoordinationError",
    "CreateOutcomeUnknownError",
    "Customer",
    "CustomerAccess",
    "CustomerLimits",
    "Format",
    "Generation",
    "GenerationFailedError",
    "GenerationResult",
    "GenerationRun",
    "GenerationStatus",
    "GenerationTimeoutError",
    "ImageInput",
    "Instrument",
    "Intensity",
    "InvalidRequestError",
    "LibraryParam",
    "License",
    "LicenseForbiddenError",
    "LicenseLimits",
    "LinkExpiredError",
    "MockTransport",
    "Mode",
    "MubertClient",
    "MubertError",
    "MubertServiceClient",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PageMeta",
    "PermissionDeniedError",
    "Playlist",
    "PollPolicy",
    "ProgressCallback",
    "QuotaExceededError",
    "RateLimitError",
    "ReconcilePolicy",
    "RequestTimeout",
    "RetryPolicy",
    "ServerError",
    "Stem",
    "Track",
    "TrackRequest",
    "Transport",
    "TransportError",
    "ValidationError",
    "__version__",
]
LAZY_NOT_STARRED = ["HttpxTransport"]
"""Reachable as ``mubert_async.X`` but not in ``__all__`` (a star import would need an extra)."""


def test_all_is_exactly_the_public_names() -> None:
    assert sorted(mubert_async.__all__) == sorted(PUBLIC)
    for name in PUBLIC + LAZY_NOT_STARRED:
        assert getattr(mubert_async, name) is not None, name


def test_no_module_leaks_annotations_or_helpers() -> None:
    # ("@py_builtins" & co. are pytest's assertion rewriting of the plugin's package)
    public = {n for n in vars(mubert_async) if not n.startswith(("_", "@"))}
    # the subpackages are attributes of a package once imported; nothing else is
    assert public - set(PUBLIC) <= {
        "errors",
        "generation",
        "models",
        "resources",
        "transport",
        "coordination",
        "testing",
        "webhooks",
        "sim",
        "cli",
        "mcp_server",
        "redis",
    }
    assert "annotations" not in vars(mubert_async)


@pytest.mark.parametrize(
    "package",
    [
        "cli",
        "coordination",
        "generation",
        "mcp_server",
        "models",
        "redis",
        "resources",
        "sim",
        "testing",
        "transport",
        "webhooks",
    ],
)
def test_no_package_leaks_the_future_import(package: str) -> None:
    module = importlib.import_module(f"mubert_async.{package}")
    assert "annotations" not in vars(module)


def test_engine_internals_are_not_exported_from_generation() -> None:
    import mubert_async.generation as generation
    from mubert_async.generation._engine import GenerationEngine
    from mubert_async.generation._limiter import GenerationLimiter
    from mubert_async.generation._polling import GenerationTimes

    for cls in (GenerationEngine, GenerationLimiter, GenerationTimes):
        assert cls.__name__ not in generation.__all__
        assert not hasattr(generation, cls.__name__)


def test_response_helpers_are_private() -> None:
    assert not hasattr(errors, "error_from_response")
    assert not hasattr(errors, "parse_retry_after")
    assert callable(errors._error_from_response)
    assert "error_from_response" not in errors.__all__


def test_exported_names_say_mubert_async_where_that_is_safe() -> None:
    rewritten = []
    for name in mubert_async.__all__:
        obj = getattr(mubert_async, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            if obj.__module__ == "mubert_async":
                rewritten.append(name)
            else:  # annotated classes keep their module: see the rule in __init__.py
                assert inspect.get_annotations(obj) or name == "AiohttpTransport", name
    for name in mubert_async.__all__:
        obj = getattr(mubert_async, name)
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            assert name in rewritten, name
    assert {"Format", "Mode", "Transport", "MockTransport", "GenerationRun"} <= set(rewritten)
    assert repr(mubert_async.QuotaExceededError) == "<class 'mubert_async.QuotaExceededError'>"


@pytest.mark.parametrize("name", [n for n in PUBLIC if inspect.isclass(getattr(mubert_async, n))])
def test_annotations_of_every_exported_class_still_resolve(name: str) -> None:
    typing.get_type_hints(getattr(mubert_async, name))


def test_structs_still_decode_after_the_rewrite() -> None:
    code = (
        "import mubert_async, msgspec; "
        't = msgspec.json.decode(b\'{"id": "x", "generations": []}\', '
        "type=mubert_async.Track); print(t.id)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert done.stdout.strip() == b"x"


def _exceptions() -> list[BaseException]:
    body = {"code": "LicenseLimitTracksCount", "tracks_count": 5, "tracks_count_limit": 5}
    track = mubert_async.Track(id="t1")
    return [
        errors._error_from_response(403, {"x-a": "b"}, b'{"code": "LicenseLimitTracksCount"}'),
        mubert_async.QuotaExceededError("quota", status=403, code=body["code"], body=body),
        mubert_async.RateLimitError("slow", status=429, headers={"retry-after": "3"}),
        mubert_async.InvalidRequestError("duration", "must be 15..1500"),
        mubert_async.TransportError("reset", sent=False),
        mubert_async.RequestTimeout("slow"),
        mubert_async.ClientClosedError(),
        mubert_async.CoordinationError("redis down"),
        mubert_async.CreateOutcomeUnknownError("unknown", request=None),
        mubert_async.GenerationFailedError("failed", track=track),
        mubert_async.GenerationTimeoutError("late", track=track),
        mubert_async.LinkExpiredError("expired", track=track),
    ]


def _state(exc: BaseException) -> tuple[Any, ...]:
    return (type(exc), str(exc), exc.args, vars(exc))


@pytest.mark.parametrize("exc", _exceptions(), ids=lambda e: type(e).__name__)
def test_exceptions_survive_pickle_and_copy(exc: BaseException) -> None:
    for clone in (pickle.loads(pickle.dumps(exc)), copy.copy(exc), copy.deepcopy(exc)):
        assert _state(clone) == _state(exc)
    if isinstance(exc, mubert_async.QuotaExceededError):
        again = pickle.loads(pickle.dumps(exc))
        assert (again.used, again.limit, again.code) == (exc.used, exc.limit, exc.code)


def test_a_pickled_error_loads_in_a_fresh_interpreter() -> None:
    exc = mubert_async.QuotaExceededError("quota", status=403, code="LicenseLimitTracksCount")
    code = (
        "import pickle, sys; e = pickle.loads(sys.stdin.buffer.read()); "
        "print(type(e).__module__, type(e).__name__, e.status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=pickle.dumps(exc), capture_output=True, check=True
    )
    assert done.stdout.split() == [b"mubert_async", b"QuotaExceededError", b"403"]
