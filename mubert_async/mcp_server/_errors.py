"""SDK errors as MCP tool/resource errors: ``"<ErrorClass>: <message>"``, scrubbed, no traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..cli._generate import error_message
from ..cli._output import Redactor
from ..errors import MubertError

__all__ = ["describe", "reported_as"]


def describe(error: BaseException, redactor: Redactor) -> str:
    """``"InvalidRequestError: duration: must be 5-3600"``, with every credential masked."""
    return redactor.text(f"{type(error).__name__}: {error_message(error)}")


@contextmanager
def reported_as(kind: type[Exception], redactor: Redactor) -> Iterator[None]:
    """Re-raise an SDK error (or a file error) from inside as ``kind`` with ``describe``'s text.

    ``kind`` is the MCP SDK's ``ToolError`` or ``ResourceError``: the agent reads the
    message. Anything else is a bug; the MCP SDK then answers only "Error executing
    tool <name>" and logs the traceback to stderr, so nothing unexpected reaches the agent.
    """
    try:
        yield
    except (MubertError, OSError) as error:
        raise kind(describe(error, redactor)) from None
