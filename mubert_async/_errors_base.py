"""The roots of the exception tree that models and validation raise; ``errors`` re-exports them."""

from __future__ import annotations

from typing import Any

__all__ = ["InvalidRequestError", "MubertError"]


class MubertError(Exception):
    """Base class of every exception raised by mubert_async."""


class InvalidRequestError(MubertError, ValueError):
    """Input that the API would reject, caught before anything was sent.

    ``field`` names the offending argument and ``rule`` the constraint it broke.
    """

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.rule), self.__dict__)
