"""Hypothesis strategies for response bodies: valid per the OpenAPI document, then broken.

``maker(schema)`` makes JSON values valid for a schema of
``data/mubert-openapi-v3.json`` (``$ref``, ``allOf``, ``oneOf`` and ``nullable``
resolved) from a seeded ``random.Random``. The document declares no ``required``
fields in its responses; a ``complete`` value has every documented property, a
sparse one any subset.

``bodies(...)`` turns such values into the bytes a server might send: as documented,
bare, or wrapped in ``{"data": ...}``, and often mutated - fields dropped, values
replaced by nulls, wrong types, huge or fractional numbers, unknown enum strings,
extra fields, deeply nested junk, raw tokens no encoder would write (``1e400``,
invalid UTF-8, lone surrogate escapes), truncated, or not JSON at all.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
from hypothesis import strategies as st
from openapi import resolve

__all__ = ["JSON", "Body", "Maker", "bodies", "junk", "maker"]

JSON = Any
Draw = Callable[[st.SearchStrategy[Any]], Any]

# -- valid values ------------------------------------------------------------------------
#
# A schema is compiled once into a function drawing a valid value from a seeded
# ``random.Random``; hypothesis draws only the seed. One draw per body instead of one
# per leaf (a customer with its license and limits has over a hundred) keeps an example
# well under a millisecond, and the choices below are biased the way hypothesis's
# would be: boundaries, empty and exotic text, nulls.

Maker = Callable[[random.Random, bool], JSON]
"""Draws a value from a Random; the bool asks for every property (``complete``)."""

_TRICKY_TEXT = (
    "",
    " ",
    "0",
    "null",
    "é",
    "日本語",
    "\u2028",
    '"quoted"',
    "back\\slash",
    "\x00",
    "\x7f",
    "\ud7ff",
    "\U0001f4a5",
    "ﬁ",
    "a" * 300,
)
_URL_TEXT = (
    "https://files.mubert.com/t/0.mp3",
    "https://stream.mubert.com/b2b/v3?x=1&y=%20",
    "http://127.0.0.1:8080/file.wav",
    "",
    "not a url",
)
_STATUS_TEXT = ("processing", "done", "failed", "active", "inactive", "Done", "future")


def _text(rnd: random.Random, example: Any = None) -> str:
    pick = rnd.random()
    if example is not None and pick < 0.25:
        return str(example)
    if pick < 0.45:
        return rnd.choice(_TRICKY_TEXT)
    if pick < 0.75:
        return "".join(
            rnd.choices(string.ascii_letters + string.digits + "-_. ", k=rnd.randint(0, 12))
        )
    # Any code point but a surrogate (which no UTF-8 body can carry).
    return "".join(
        chr(c if not 0xD800 <= c <= 0xDFFF else c - 0x800)
        for c in (rnd.randint(0, 0x10FFFF) for _ in range(rnd.randint(1, 8)))
    )


def _integer(rnd: random.Random, low: int, high: int) -> int:
    pick = rnd.random()
    if pick < 0.25:
        return rnd.choice(
            [v for v in (0, 1, -1, low, high, 2**31 - 1, 2**53 + 1) if low <= v <= high]
        )
    if pick < 0.75:
        return rnd.randint(max(low, -1), min(high, 1000))
    return rnd.randint(low, high)


def _date_time(rnd: random.Random) -> str:
    """An RFC 3339 date-time as servers write it: ``Z`` or an offset, any precision."""
    moment = datetime(
        rnd.randint(1, 9999), rnd.randint(1, 12), rnd.randint(1, 28),
        rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59),
        rnd.choice([0, rnd.randint(0, 999_999)]),
    )  # fmt: skip
    style = rnd.randint(0, 4)
    if style == 0:  # Laravel: microseconds and Z
        return moment.isoformat(timespec="microseconds") + "Z"
    if style == 1:
        return moment.isoformat(timespec="seconds") + "Z"
    if style == 2:  # nanoseconds: more digits than a datetime holds
        return moment.isoformat(timespec="microseconds") + "789Z"
    if style == 3:  # no offset at all: a naive datetime
        return moment.isoformat()
    offset = timedelta(minutes=rnd.randint(-(23 * 60 + 59), 23 * 60 + 59))
    return moment.replace(tzinfo=timezone(offset)).isoformat()


# Properties the document types only loosely (``"type": "string"``), drawn realistically
# as well: a status that is often a known one, a URL that is often a URL.
_BY_NAME: dict[str, Maker] = {
    "status": lambda rnd, _: rnd.choice(_STATUS_TEXT) if rnd.random() < 0.8 else _text(rnd),
    "url": lambda rnd, _: rnd.choice(_URL_TEXT) if rnd.random() < 0.8 else _text(rnd),
    "link": lambda rnd, _: rnd.choice(_URL_TEXT) if rnd.random() < 0.8 else _text(rnd),
    "webhook_url": lambda rnd, _: rnd.choice(_URL_TEXT) if rnd.random() < 0.8 else _text(rnd),
    # An integer level per the document, a name per the guide: both are tolerated.
    "intensity": lambda rnd, _: rnd.choice([1, 2, 3, 0, 7, -1, "low", "medium", "high"]),
}


def _merge(schema: Any) -> dict[str, Any]:
    """An ``allOf`` flattened into one object schema (properties and required merged)."""
    merged: dict[str, Any] = {"type": "object", "properties": {}}
    for part in schema["allOf"]:
        part = resolve(part)
        part = _merge(part) if "allOf" in part else part
        merged["properties"].update(part.get("properties", {}))
        merged.setdefault("required", []).extend(part.get("required", []))
    return merged


# Keyed by id(); each entry keeps its schema alive, so that no id is ever reused.
_COMPILED: dict[int, tuple[Any, Maker]] = {}


def _compile(schema: Any) -> Maker:
    """The ``Maker`` of ``schema`` (compiled once, lazily for recursive references)."""
    key = id(schema)
    if key not in _COMPILED:
        made: list[Maker] = []
        _COMPILED[key] = (schema, lambda rnd, complete: made[0](rnd, complete))
        made.append(_make(schema))
        _COMPILED[key] = (schema, made[0])
    return _COMPILED[key][1]


def _make(schema: Any) -> Maker:
    schema = resolve(schema)
    base = _make_base(schema)
    if not schema.get("nullable"):
        return base

    def nullable(rnd: random.Random, complete: bool) -> JSON:
        return None if rnd.random() < 0.1 else base(rnd, complete)

    return nullable


def _make_base(schema: dict[str, Any]) -> Maker:
    if "allOf" in schema:
        return _compile(_merge(schema))
    if "oneOf" in schema:
        options = [_compile(s) for s in schema["oneOf"]]
        return lambda rnd, complete: rnd.choice(options)(rnd, complete)
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        props = [
            (name, _BY_NAME[name] if name in _BY_NAME else _compile(sub))
            for name, sub in schema.get("properties", {}).items()
        ]

        def obj(rnd: random.Random, complete: bool) -> JSON:
            if not props:  # a free-form object
                return {_text(rnd): rnd.choice([None, 1, "x"]) for _ in range(rnd.randint(0, 2))}
            return {
                name: make(rnd, complete) for name, make in props if complete or rnd.random() < 0.5
            }

        return obj
    if kind == "array":
        item = _compile(schema["items"])
        return lambda rnd, complete: [
            item(rnd, complete) for _ in range(rnd.randint(int(complete), 2))
        ]
    if "enum" in schema:
        choices = schema["enum"]
        return lambda rnd, _: rnd.choice(choices)
    if kind == "string":
        fmt, example = schema.get("format"), schema.get("example")
        if fmt == "date-time":
            return lambda rnd, _: _date_time(rnd)
        if fmt == "uuid":
            return lambda rnd, _: str(uuid.UUID(int=rnd.getrandbits(128)))
        if fmt == "url":
            return _BY_NAME["url"]
        return lambda rnd, _: _text(rnd, example)
    if kind == "integer":
        low, high = schema.get("minimum", -(2**63)), schema.get("maximum", 2**63 - 1)
        return lambda rnd, _: _integer(rnd, low, high)
    if kind == "boolean":
        return lambda rnd, _: rnd.random() < 0.5
    return lambda rnd, _: rnd.choice([None, True, 0, 1.5, "", "x", [], {}])


def maker(schema: Any) -> Maker:
    """Makes JSON values valid for ``schema``; every property present when ``complete``."""
    return _compile(schema)


# -- junk ----------------------------------------------------------------------------------

_HUGE = (2**63, 2**64, 2**70, -(2**70), -(2**63) - 1, 10**30, -(10**30))
_ODD_STRINGS = ("future-value", "DONE", "Done", " done", "", "null", "0", "true", "mp4", "1.0.0")


def _scalar(rnd: random.Random) -> JSON:
    pick = rnd.randint(0, 7)
    if pick == 0:
        return None
    if pick == 1:
        return rnd.random() < 0.5
    if pick == 2:
        return _integer(rnd, -(2**63), 2**63 - 1)
    if pick == 3:
        return rnd.choice(_HUGE)
    if pick == 4:
        return rnd.choice([0.0, -0.0, 0.5, 1.0, 1e308, -1e-308, rnd.uniform(-1e9, 1e9)])
    if pick == 5:
        return rnd.choice(_ODD_STRINGS)
    return _text(rnd)


def junk(rnd: random.Random, depth: int = 0) -> JSON:
    """Any small JSON value: scalars of every type, huge numbers, lists and objects of them."""
    pick = rnd.random()
    if depth >= 3 or pick < 0.6:
        return _scalar(rnd)
    if pick < 0.8:
        return [junk(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return {_text(rnd): junk(rnd, depth + 1) for _ in range(rnd.randint(0, 3))}


# Tokens no JSON encoder writes, spliced into the encoded body in place of a marker string.
_RAW_TOKENS: tuple[bytes, ...] = (
    b"1e400",
    b"-1e400",
    b"1E+999",
    b"-0",
    b"123456789012345678901234567890",
    b"-123456789012345678901234567890",
    b"0.1e-400",
    b"1.0",
    b"1.5",
    b"NaN",
    b"Infinity",
    b"01",
    b"1.",
    b".5",
    b"tru",
    b'"\\ud800"',
    b'"\\udc00x"',
    b'"\\u0000"',
    b'"\xff\xfe"',
    b'"\xc3"',
    b'"\xed\xa0\x80"',
    b'"a\x00b"',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b"[" * 950 + b"]" * 950,
    b'{"a":' * 480 + b"[]" + b"}" * 480,
    b"[" * 64 + b"]" * 64,
)
_MARKER = "\x1araw-token-{}\x1a"


@dataclass(frozen=True)
class Body:
    """A response body and what decoding it must give.

    ``value`` is the unmutated JSON drawn from the schema (None when the body was not
    made from one); ``must_decode`` is True when the body is that value, complete and
    untouched, so that decoding it must succeed. ``how`` says how it was made.
    """

    content: bytes
    value: JSON
    must_decode: bool
    how: str


def _copy_slots(value: JSON) -> tuple[list[JSON], list[tuple[Any, Any]]]:
    """A deep copy of ``value`` in a holder list, and every (container, key) in it."""
    holder = [value]
    slots: list[tuple[Any, Any]] = [(holder, 0)]
    stack: list[tuple[Any, Any]] = [(holder, 0)]
    while stack:
        container, key = stack.pop()
        node = container[key]
        if isinstance(node, dict):
            node = container[key] = dict(node)
            keys: Any = list(node)
        elif isinstance(node, list):
            node = container[key] = list(node)
            keys = range(len(node))
        else:
            continue
        for child in keys:
            slots.append((node, child))
            stack.append((node, child))
    return holder, slots


def _mutate(value: JSON, rnd: random.Random) -> bytes:
    """``value`` with 1-3 mutations, encoded (raw tokens spliced in where asked for)."""
    holder, slots = _copy_slots(value)
    raws: list[bytes] = []
    for _ in range(rnd.randint(1, 3)):
        container, key = rnd.choice(slots)
        try:
            current = container[key]
        except (KeyError, IndexError):  # dropped by an earlier mutation
            continue
        op = rnd.choice(("drop", "null", "junk", "junk", "number", "enum", "extra", "raw"))
        if op == "drop" and container is not holder:
            if isinstance(container, dict):
                del container[key]
            else:
                container[key] = None
        elif op == "null":
            container[key] = None
        elif op == "number":
            if isinstance(current, int) and not isinstance(current, bool):
                container[key] = rnd.choice([float(current), current + 0.5, str(current), *_HUGE])
            else:
                container[key] = rnd.choice([*_HUGE, 1.5, -0.0, 1e308])
        elif op == "enum":
            container[key] = rnd.choice(_ODD_STRINGS)
        elif op == "extra" and isinstance(current, dict):
            current[_text(rnd)] = junk(rnd)
        elif op == "raw":
            container[key] = _MARKER.format(len(raws))
            raws.append(rnd.choice(_RAW_TOKENS))
        else:
            container[key] = junk(rnd)
    content = msgspec.json.encode(holder[0])
    for i, token in enumerate(raws):
        content = content.replace(msgspec.json.encode(_MARKER.format(i)), token)
    return content


_NOT_JSON = (
    st.sampled_from(
        [
            b"",
            b" ",
            b"null",
            b"true",
            b"0",
            b"-1",
            b'"text"',
            b"[]",
            b"{}",
            b'{"data":null}',
            b'{"data":[]}',
            b'{"data":{}}',
            b"[null]",
            b"<html><body>502 Bad Gateway</body></html>",
            b"\xef\xbb\xbf{}",
            b"\xff\xfe{\x00}\x00",
        ]
    )
    | st.binary(max_size=24)
    | st.text(string.printable, max_size=24).map(str.encode)
)
_SEEDS = st.integers(0, 2**64 - 1)
# (complete, shape, how) in one draw: "valid" and "mutated" weighted up.
_PLANS = st.sampled_from(
    [
        (complete, shape, how)
        for complete in (True, False)
        for shape in ("documented", "bare", "wrapped")
        for how in ("valid", "valid", "mutated", "mutated", "mutated", "cut", "other")
    ]
)


@st.composite
def bodies(draw: Draw, documented: Maker, model: Maker) -> Body:
    """A body of a response whose documented form is ``documented`` and whose model is ``model``.

    ``model`` makes the decoded model's own JSON: the part inside ``{"data": ...}``
    when the document wraps it, else the documented form itself. The body is the
    documented form, the model bare or the model wrapped in ``{"data": ...}`` - all
    three decode - then often mutated, cut short, or replaced by something else.
    """
    complete, shape, how = draw(_PLANS)
    if how == "other":
        return Body(draw(_NOT_JSON), None, False, "not JSON")
    rnd = random.Random(draw(_SEEDS))
    value = (documented if shape == "documented" else model)(rnd, complete)
    if shape == "wrapped":
        value = {"data": value}
    if how == "valid":
        return Body(msgspec.json.encode(value), value, complete, shape)
    if how == "mutated":
        return Body(_mutate(value, rnd), value, False, f"{shape}, mutated")
    content = msgspec.json.encode(value)
    return Body(content[: rnd.randint(0, max(0, len(content) - 1))], value, False, "cut")
