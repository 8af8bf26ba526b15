"""Small file helpers: dotenv-style credential files and private (mode 0600) writes."""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import secrets

__all__ = ["EnvFileError", "merge_env_file", "parse_env_file", "write_atomic", "write_private"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvFileError(ValueError):
    """An env file that cannot be read or parsed; the message never quotes a value."""


def _value(raw: str, path: pathlib.Path, number: int) -> str:
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        quote = raw[0]
        end = raw.find(quote, 1)
        if end == -1:
            raise EnvFileError(f"{path}: line {number}: unterminated {quote} quote")
        rest = raw[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise EnvFileError(f"{path}: line {number}: text after the closing quote")
        return raw[1:end]
    # An unquoted value ends at " #" (an inline comment).
    comment = re.search(r"\s#", raw)
    return (raw[: comment.start()] if comment else raw).strip()


def parse_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """The ``NAME=value`` pairs of a dotenv-style file.

    Blank lines and ``#`` comments are skipped, an ``export`` prefix is allowed,
    and a value may be wrapped in single or double quotes (taken literally). Raises
    ``EnvFileError`` naming the file and line, never the line's content.
    """
    file = pathlib.Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise EnvFileError(f"cannot read env file {file}: {reason}") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        name, sep, raw = stripped.partition("=")
        name = name.strip()
        if not sep or not _NAME.fullmatch(name):
            raise EnvFileError(f"{file}: line {number}: expected NAME=value")
        values[name] = _value(raw, file, number)
    return values


def write_atomic(path: pathlib.Path, text: str, *, mode: int = 0o666) -> None:
    """Write ``text`` to a new file beside ``path`` and rename it onto ``path``.

    The new file is created with ``mode`` (the umask applies), so ``0o600`` gives a
    file only its owner can read, whatever was at ``path`` before.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if mode == 0o600:
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_private(path: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically as a file only its owner can read (0600)."""
    write_atomic(path, text, mode=0o600)


def _quoted(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:@+=,-]*", value):
        return value
    if "'" not in value:
        return f"'{value}'"
    raise EnvFileError("a value with both spaces and single quotes cannot be written")


def merge_env_file(path: pathlib.Path, updates: dict[str, str]) -> None:
    """Set ``updates`` in the env file at ``path`` (created if missing) with mode 0600.

    Lines of other variables and comments are kept; an existing line for one of the
    updated names is replaced in place, the others are appended.
    """
    lines: list[str] = []
    if path.exists():
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise EnvFileError(f"cannot read env file {path}: {reason}") from None
    pending = dict(updates)
    out: list[str] = []
    for line in lines:
        name = line.strip().removeprefix("export ").partition("=")[0].strip()
        if name in pending:
            out.append(f"{name}={_quoted(pending.pop(name))}")
        elif name in updates:
            continue  # a duplicate of a name already replaced
        else:
            out.append(line)
    out.extend(f"{name}={_quoted(value)}" for name, value in pending.items())
    write_private(path, "\n".join(out) + "\n")
