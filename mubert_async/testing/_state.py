"""A ``FakeMubert``'s records saved to a file and loaded back (``mubert --sim`` between runs).

Only the simulator's data is kept: the company and license, customers, tracks and
their generations, usage counters, generations in flight and the id generator. Its
settings (generation time, failure rate, faults, URLs) come from whoever loads the
state. Generations are timed by the wall clock, so one started by an earlier run is
done when its time has come. The file is a pickle read back with an allow-list of
the simulator's own record classes (anything else is refused), written atomically
with mode 0600.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import pickle
import secrets
from typing import Any

from ._fake import FakeMubert
from ._model import FakeCustomer

__all__ = ["STATE_VERSION", "StateError", "customer_by_custom_id", "load_state", "save_state"]

STATE_VERSION = 1

_KEPT = (
    "_ids",
    "company_id",
    "license_token",
    "license",
    "customers",
    "by_custom_id",
    "tracks",
    "by_session",
    "in_flight",
    "_heap",
    "_seq",
    "stats",
)
_ALLOWED = frozenset(
    {
        ("random", "Random"),
        ("mubert_async.testing._limits", "Usage"),
        *(
            ("mubert_async.testing._model", name)
            for name in ("LicenseRecord", "FakeCustomer", "Track", "Generation", "FakeStats")
        ),
    }
)


class StateError(Exception):
    """A state file that cannot be used (unreadable, of another version, or not state)."""


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not simulator state")
        return super().find_class(module, name)


def save_state(fake: FakeMubert, path: pathlib.Path) -> None:
    """Write ``fake``'s records to ``path`` (its directory is made, mode 0700)."""
    engine = vars(fake._engine)
    data = pickle.dumps({"version": STATE_VERSION, "engine": {k: engine[k] for k in _KEPT}})
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def load_state(fake: FakeMubert, path: pathlib.Path) -> bool:
    """Replace ``fake``'s records by those saved at ``path``; False when there is no file.

    Raises ``StateError`` for a file that is not usable state.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc.strerror}") from None
    try:
        state = _Unpickler(io.BytesIO(data)).load()
    except Exception as exc:  # any malformed pickle
        raise StateError(f"{path} is not simulator state ({exc})") from None
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise StateError(f"{path} holds state of another version")
    engine = state.get("engine")
    if not isinstance(engine, dict) or set(engine) != set(_KEPT):
        raise StateError(f"{path} is not simulator state")
    vars(fake._engine).update(engine)
    return True


def customer_by_custom_id(fake: FakeMubert, custom_id: str) -> FakeCustomer | None:
    """The fake's customer with this ``custom_id``, if there is one."""
    return fake._engine.by_custom_id.get(custom_id)
