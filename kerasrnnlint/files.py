"""Reading inputs: bytes to text per PEP 263, and every way reading can fail.

Each function returns the text (or bytes) or an :class:`Unreadable` naming the cause; nothing here
raises for bad input. Python source is decoded as Python itself would (a BOM, a ``coding:`` cookie,
UTF-8 by default); line endings are kept as they are (libcst handles CRLF).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from typing import BinaryIO

MAX_BYTES = 10 * 1024 * 1024  # larger inputs are skipped with a message
# Python source that passes the prefilter is parsed by libcst, which needs about 1.5 GB of memory
# and 10-25 s per MB of source: larger files (generated code) are skipped with a message.
MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Unreadable:
    """Why an input could not be read or decoded (a message for people, without the path)."""

    cause: str


def describe_os_error(exc: OSError) -> str:
    """``permission denied``, ``no such file or directory``... from an OSError."""
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


class NotRegularFile(OSError):
    """The path is a FIFO, socket, device or directory: not read (reading a FIFO would block)."""


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """``path`` opened for binary reading, if it is a regular file.

    The type is checked on the opened descriptor (``fstat``), not on the path before opening:
    a file swapped for a FIFO between a directory walk and the read is refused, not waited on
    (``O_NONBLOCK`` makes opening a FIFO return at once). Raises :class:`NotRegularFile` (an
    :class:`OSError`) for anything else, and OSError when it cannot be opened.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file ({_kind(mode)})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str, limit: int = MAX_BYTES) -> bytes | Unreadable:
    """The bytes of a regular file of at most ``limit`` bytes.

    A FIFO, device or directory is refused without blocking (see :func:`open_regular`).
    """
    try:
        with open_regular(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                return Unreadable(too_large(size, limit))
            data = handle.read(limit + 1)
    except OSError as exc:
        return Unreadable(describe_os_error(exc))
    if len(data) > limit:  # grew while we looked
        return Unreadable(too_large(len(data), limit))
    return data


def too_large(size: int, limit: int) -> str:
    return f"file too large ({size / 1e6:.1f} MB > {limit / 1e6:.0f} MB limit); skipped"


def too_large_to_parse(size: int, limit: int = MAX_SOURCE_BYTES) -> str:
    return (
        f"file too large to analyse ({size / 1e6:.1f} MB of Python > {limit / 1e6:.0f} MB limit: "
        "parsing it would need gigabytes of memory); skipped"
    )


def is_binary(data: bytes) -> bool:
    """Python source never holds a NUL byte (the tokenizer refuses it)."""
    return b"\0" in data


def decode_python(data: bytes) -> str | Unreadable:
    """Decode Python source bytes per PEP 263 (BOM, coding cookie, UTF-8 default)."""
    if is_binary(data):
        return Unreadable("binary file (contains NUL bytes); not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return Unreadable(f"bad source encoding: {exc.msg if hasattr(exc, 'msg') else exc}")
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Unreadable(
            f"cannot decode as {exc.encoding}: {exc.reason} at byte {exc.start} (line {line}); "
            "declare the encoding with a '# -*- coding: ... -*-' line or save the file as UTF-8"
        )
    except LookupError:  # pragma: no cover - detect_encoding checks the codec
        return Unreadable(f"unknown source encoding {encoding!r}")


# --------------------------------------------------------------------------------------------------
# Rewriting a file (autofix): keep what the file is
# --------------------------------------------------------------------------------------------------


class _InPlace(Exception):
    """The atomic replace cannot keep what the file is: write in place."""


def rewrite(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace the contents of the file at ``path`` with ``data``, keeping what the file is.

    A symbolic link is written through (its target changes, the link stays). The data goes
    through a temporary file in the same directory and ``os.replace``, with the owner, group
    and mode of the file (owner first: changing it clears setuid/setgid bits, which the mode
    then restores for the original owner, never for whoever runs the fix). A file with other
    hard links, one whose owner cannot be kept (not root) or in a directory that cannot take
    the temporary file is rewritten in place instead, which keeps all of that too. A file with
    no write permission bit is refused with PermissionError, even for root (as ruff does).
    """
    import tempfile

    target = os.path.realpath(path)
    info = os.stat(target)
    if not stat.S_ISREG(info.st_mode):
        raise NotRegularFile(errno.EINVAL, f"not a regular file ({_kind(info.st_mode)})")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, "Permission denied (the file is read-only)")
    if info.st_nlink > 1:
        _write_in_place(target, data)
        return
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=os.path.dirname(target)
        )
    except OSError:
        _write_in_place(target, data)
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            mine = os.fstat(handle.fileno())
            if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                except PermissionError:  # not root: only an in-place write keeps the owner
                    raise _InPlace from None
            os.fchmod(handle.fileno(), info.st_mode & 0o7777)
        os.replace(tmp, target)
    except _InPlace:
        _unlink(tmp)
        _write_in_place(target, data)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _write_in_place(path: str, data: bytes) -> None:
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
