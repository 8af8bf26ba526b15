"""Table-driven request validation with Laravel's rules and messages (answers 422).

A request's rules are a tuple of ``Field``s; ``validate`` checks the input against
them and returns the cleaned values (numbers from query strings and multipart
fields become ints). Cross-field rules live with their endpoints and report
through ``Errors``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..transport._base import UploadFile
from ._http import validation_error

__all__ = [
    "Errors",
    "Field",
    "boolean",
    "enum",
    "enum_list",
    "image",
    "integer",
    "label",
    "string",
    "validate",
]

Kind = Literal["integer", "string", "boolean", "enum", "enum_list", "image"]

_INT = re.compile(r"\s*[+-]?\d+\s*")
_BOOLS: Mapping[object, bool] = {"0": False, "1": True, 0: False, 1: True}
_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"BM", "bmp"),
)
_KB = 1024


@dataclass(frozen=True, slots=True)
class Field:
    """One input field: its type and constraints, named as in the OpenAPI document.

    ``minimum``/``maximum`` bound integers, string lengths, and image sizes (in KB).
    """

    name: str
    kind: Kind
    required: bool = False
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str | int, ...] = ()
    pattern: re.Pattern[str] | None = None

    @property
    def label(self) -> str:
        """The field as Laravel names it in messages."""
        return label(self.name)


def label(name: str) -> str:
    """A field name as Laravel writes it in messages (``playlist_index`` -> ``playlist index``)."""
    return name.replace("_", " ")


def integer(
    name: str, *, required: bool = False, minimum: int | None = None, maximum: int | None = None
) -> Field:
    """An integer field (numeric strings are accepted, as Laravel does)."""
    return Field(name, "integer", required=required, minimum=minimum, maximum=maximum)


def string(
    name: str,
    *,
    required: bool = False,
    nullable: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    pattern: str | None = None,
) -> Field:
    """A string field with optional length bounds and a pattern."""
    compiled = re.compile(pattern) if pattern else None
    return Field(
        name,
        "string",
        required=required,
        nullable=nullable,
        minimum=minimum,
        maximum=maximum,
        pattern=compiled,
    )


def enum(name: str, choices: Sequence[str | int], *, required: bool = False) -> Field:
    """A field whose value must be one of ``choices``."""
    return Field(name, "enum", required=required, choices=tuple(choices))


def enum_list(name: str, choices: Sequence[str]) -> Field:
    """An array field whose items must be in ``choices``."""
    return Field(name, "enum_list", choices=tuple(choices))


def boolean(name: str) -> Field:
    """A boolean field (true/false/0/1/"0"/"1")."""
    return Field(name, "boolean")


def image(name: str, *, min_kb: int, max_kb: int) -> Field:
    """An uploaded png/jpeg/webp/bmp file between ``min_kb`` and ``max_kb`` kilobytes."""
    return Field(name, "image", minimum=min_kb, maximum=max_kb)


class Errors(dict[str, list[str]]):
    """Field name -> messages, raised as a 422 when not empty."""

    def add(self, name: str, message: str) -> None:
        """Record a message about ``name``."""
        self.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        """Raise the 422 when anything was recorded."""
        if self:
            raise validation_error(self)


def validate(
    data: Mapping[str, Any], fields: Sequence[Field], errors: Errors | None = None
) -> dict[str, Any]:
    """Check ``data`` against ``fields``; return the present values, cleaned.

    Problems go into ``errors`` when given (for the caller to add cross-field rules
    and raise); otherwise they are raised at once as a 422.
    """
    own = errors is None
    found = Errors() if errors is None else errors
    clean: dict[str, Any] = {}
    for spec in fields:
        value = data.get(spec.name)
        if value is None:
            if spec.required:
                found.add(spec.name, f"The {spec.label} field is required.")
            elif spec.name in data and not spec.nullable:
                found.add(spec.name, _type_message(spec))
            continue
        ok, result = _check(spec, value, found)
        if ok:
            clean[spec.name] = result
    if own:
        found.raise_if_any()
    return clean


def _check(spec: Field, value: Any, errors: Errors) -> tuple[bool, Any]:
    kind = spec.kind
    if kind == "integer":
        number = _as_int(value)
        if number is None:
            errors.add(spec.name, _type_message(spec))
            return False, None
        return _bounded(spec, number, number, "", errors), number
    if kind == "string":
        if not isinstance(value, str):
            errors.add(spec.name, _type_message(spec))
            return False, None
        if not _bounded(spec, value, len(value), " characters", errors):
            return False, None
        if spec.pattern is not None and not spec.pattern.fullmatch(value):
            errors.add(spec.name, f"The {spec.label} field format is invalid.")
            return False, None
        return True, value
    if kind == "boolean":
        if isinstance(value, bool):
            return True, value
        if isinstance(value, (int, str)) and value in _BOOLS:
            return True, _BOOLS[value]
        errors.add(spec.name, _type_message(spec))
        return False, None
    if kind == "enum":
        choice = _choice(spec, value)
        if choice is None:
            errors.add(spec.name, f"The selected {spec.label} is invalid.")
            return False, None
        return True, choice
    if kind == "enum_list":
        if not isinstance(value, list):
            errors.add(spec.name, _type_message(spec))
            return False, None
        bad = [i for i, item in enumerate(value) if _choice(spec, item) is None]
        for i in bad:
            errors.add(f"{spec.name}.{i}", f"The selected {spec.name}.{i} is invalid.")
        return not bad, list(value)
    return _check_image(spec, value, errors)


def _check_image(spec: Field, value: Any, errors: Errors) -> tuple[bool, Any]:
    if not isinstance(value, UploadFile):
        errors.add(spec.name, _type_message(spec))
        return False, None
    if _image_type(value.content) is None:
        errors.add(
            spec.name, f"The {spec.label} field must be a file of type: png, jpg, jpeg, webp, bmp."
        )
        return False, None
    low, high = (spec.minimum or 0) * _KB, (spec.maximum or 0) * _KB
    if not low <= len(value.content) <= high:
        errors.add(
            spec.name,
            f"The {spec.label} field must be between {spec.minimum} and {spec.maximum} kilobytes.",
        )
        return False, None
    return True, value


def _bounded(spec: Field, value: Any, size: int, unit: str, errors: Errors) -> bool:
    if spec.minimum is not None and size < spec.minimum:
        errors.add(spec.name, f"The {spec.label} field must be at least {spec.minimum}{unit}.")
        return False
    if spec.maximum is not None and size > spec.maximum:
        errors.add(
            spec.name, f"The {spec.label} field must not be greater than {spec.maximum}{unit}."
        )
        return False
    return True


def _type_message(spec: Field) -> str:
    what = {
        "integer": "must be an integer",
        "string": "must be a string",
        "boolean": "must be true or false",
        "enum_list": "must be an array",
        "image": "must be a file",
    }.get(spec.kind)
    if what is None:
        return f"The selected {spec.label} is invalid."
    return f"The {spec.label} field {what}."


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value)
    return None


def _choice(spec: Field, value: Any) -> str | int | None:
    if spec.choices and isinstance(spec.choices[0], int):
        number = _as_int(value)
        return number if number in spec.choices else None
    return value if isinstance(value, str) and value in spec.choices else None


def _image_type(content: bytes) -> str | None:
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    return next((name for magic, name in _IMAGE_MAGIC if content.startswith(magic)), None)
