"""No traceback, no credential: SDK errors as tool errors, and every answer scrubbed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from .._redaction import Redactor, error_message
from ..errors import MubertError

__all__ = ["Scrubber", "describe", "reported_as"]


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


class Scrubber:
    """MCP server middleware: every answer and protocol error passes through the redactor.

    The tools already describe errors without credentials; this is the net under
    them, for text the server echoes (a token pasted as a track id, the MCP SDK's
    own argument-validation messages, which quote the rejected value).
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        """Run the request; return its result (or raise its error) with credentials masked."""
        try:
            result = await call_next(ctx)
        except MCPError as error:
            clean = self._redactor.data(error.error.model_dump(mode="json", exclude_none=True))
            raise MCPError(clean["code"], clean["message"], clean.get("data")) from None
        if isinstance(result, BaseModel):
            dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        elif isinstance(result, dict):
            dumped = result
        else:
            return result
        clean = self._redactor.data(dumped)
        return result if clean == dumped else clean
