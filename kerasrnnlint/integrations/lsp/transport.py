"""JSON-RPC over stdio, bounded and strict, in place of pygls's own reader loop.

pygls 2.1 (``pygls.io_.run_async`` and ``JsonRPCProtocol``) has these faults, worked around here:

- it reads a body of whatever ``Content-Length`` says (``Content-Length: 60000000000`` allocates
  60 GB and the server dies): :class:`FrameReader` caps a message at :data:`MAX_MESSAGE_BYTES`,
  skips an oversized body without holding it, answers an error (``id: null``), and resynchronises
  on the next header if the client lied about the length;
- a request whose params do not match the LSP types (a missing ``position``, a negative line) is
  dropped without a response: :func:`dispatch` answers ``InvalidParams`` (-32602);
- a request after ``shutdown`` is dropped: answered with ``InvalidRequest`` (-32600);
- ``exit`` raises ``SystemExit`` inside a handler, which ``start_io`` swallows, so the process
  always exits 0: :class:`Protocol` records the exit status (1 without a ``shutdown`` first) and
  :func:`serve` returns it;
- the reading thread is a pool thread the interpreter joins at exit: here it is a daemon thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, BinaryIO

import cattrs
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a 1 MB source limit; notebooks and UTF-16 JSON need more
MAX_HEADER_BYTES = 8 * 1024
CHUNK = 64 * 1024

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002

# The start of a message header. A JSON body cannot hold it (a CR LF inside a JSON string is
# written as the escapes \r\n), so finding it inside a body means the length was a lie.
_HEADER = re.compile(rb"Content-Length:[ \t]*\d{1,20}\r\n", re.IGNORECASE)
_LENGTH = re.compile(rb"^Content-Length:[ \t]*(\d{1,20})[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Dropped:
    """A message that was not read: why."""

    reason: str


class FrameReader:
    """``Content-Length``-framed messages from a byte stream, never holding more than
    :data:`MAX_MESSAGE_BYTES` (plus a chunk) in memory."""

    def __init__(self, stream: BinaryIO, max_bytes: int = MAX_MESSAGE_BYTES) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.skip = 0  # bytes of an oversized body still to skip

    def _fill(self) -> bool:
        read1 = getattr(self.stream, "read1", None)
        chunk = read1(CHUNK) if read1 is not None else self.stream.read(1)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def next(self) -> bytes | Dropped | None:
        """The next message body, a :class:`Dropped`, or None at the end of the stream."""
        if self.skip:  # after the drop was reported, so that the client hears of it at once
            self._discard(self.skip)
            self.skip = 0
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._resync(skip=1)
                    return Dropped(f"a message header longer than {MAX_HEADER_BYTES} bytes")
                if not self._fill():
                    return None
                continue
            header = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            match = _LENGTH.search(header.replace(b"\r\n", b"\n"))
            if match is None:
                return Dropped("a message without a valid Content-Length header")
            length = int(match.group(1))
            if length > self.max_bytes:
                self.skip = length
                return Dropped(
                    f"a message of {length} bytes, more than the {self.max_bytes} bytes accepted"
                )
            while len(self.buffer) < length:
                more = self.stream.read(length - len(self.buffer))
                if not more:
                    return None
                self.buffer += more
            body = bytes(self.buffer[:length])
            del self.buffer[:length]
            return body

    def _discard(self, length: int) -> None:
        """Skip ``length`` bytes as they arrive, or up to the next header found among them."""
        remaining = length
        keep = 64  # a header split between two reads is found once the rest arrives
        while remaining > 0:
            found = _HEADER.search(self.buffer)
            if found is not None and found.start() < remaining:
                del self.buffer[: found.start()]
                return
            if len(self.buffer) >= remaining:
                del self.buffer[:remaining]
                return
            cut = max(0, len(self.buffer) - keep)
            del self.buffer[:cut]
            remaining -= cut
            if not self._fill():
                return

    def _resync(self, skip: int) -> None:
        found = _HEADER.search(self.buffer, skip)
        del self.buffer[: found.start() if found is not None else len(self.buffer)]


class Protocol(LanguageServerProtocol):
    """pygls's protocol with an exit status instead of ``sys.exit`` inside a handler."""

    exit_code: int | None = None

    @lsp_method(types.EXIT)
    def lsp_exit(self, *args: Any) -> Generator[Any, Any, None]:
        self.exit_code = 0 if self._shutdown else 1
        yield from ()

    @property
    def initialized(self) -> bool:
        return self._workspace is not None

    @property
    def shut_down(self) -> bool:
        return bool(self._shutdown)

    def send_error(self, msg_id: int | str | None, code: int, message: str) -> None:
        response = types.ResponseErrorMessage(
            id=msg_id, error=types.ResponseError(code=code, message=message)
        )
        self._send_data(response)

    def converter(self) -> cattrs.Converter:
        converter: cattrs.Converter = self._converter
        return converter


def _problem(exc: Exception) -> str:
    """A one-line description of why params did not match their type."""
    if isinstance(exc, cattrs.ClassValidationError):
        try:
            problems = cattrs.transform_error(exc, path="$")[:3]
            # The attribute names of lsprotocol's classes, as the client wrote them (camelCase).
            return "; ".join(
                re.sub(r"_([a-z])", lambda m: m.group(1).upper(), p).replace("@ $.", "@ ")
                for p in problems
            )
        except Exception:  # the error has an unusual shape: say what we can
            pass
    return str(exc) or type(exc).__name__


def dispatch(protocol: Protocol, body: bytes) -> None:
    """Decode one message and hand it to pygls, answering what pygls would leave unanswered."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        protocol.send_error(None, PARSE_ERROR, f"invalid JSON: {exc}")
        return
    msg_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(msg_id, (int, str)) or isinstance(msg_id, bool):
        msg_id = None
    if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
        protocol.send_error(msg_id, INVALID_REQUEST, "not a JSON-RPC 2.0 message")
        return
    method = data.get("method")
    if "id" in data and "method" in data:
        if msg_id is None or not isinstance(method, str):
            protocol.send_error(msg_id, INVALID_REQUEST, "a request needs a string or number id")
            return
        if protocol.shut_down:
            protocol.send_error(msg_id, INVALID_REQUEST, f"{method}: the server is shut down")
            return
        if not protocol.initialized and method != types.INITIALIZE:
            protocol.send_error(msg_id, SERVER_NOT_INITIALIZED, f"{method} before initialize")
            return
        request_type = protocol.get_message_type(method) or JsonRPCRequestMessage
        try:
            message = protocol.converter().structure(data, request_type)
        except Exception as exc:
            protocol.send_error(msg_id, INVALID_PARAMS, f"{method}: {_problem(exc)}")
            return
    elif isinstance(method, str):
        notification_type = protocol.get_message_type(method) or JsonRPCNotification
        try:
            message = protocol.converter().structure(data, notification_type)
        except Exception as exc:  # a notification cannot be answered: log it and go on
            log.warning("ignored an invalid %s notification: %s", method, _problem(exc))
            return
    else:
        try:
            message = protocol.structure_message(data)
        except Exception as exc:
            log.warning("ignored an invalid response: %s", exc)
            return
    protocol.handle_message(message)


class _ExpectedErrors(logging.Filter):
    """pygls logs a traceback for every error a handler raises, the InvalidParams answers too."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, JsonRpcInvalidParams)


logging.getLogger("pygls.protocol.json_rpc").addFilter(_ExpectedErrors())


def serve(protocol: Protocol, stdin: BinaryIO, stdout: BinaryIO) -> int:
    """Read and handle messages until ``exit`` or the end of input; the exit status."""
    protocol.set_writer(StdoutWriter(stdout))

    async def main() -> int:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | Dropped | None] = asyncio.Queue()

        def pump() -> None:
            reader = FrameReader(stdin)
            while True:
                try:
                    item = reader.next()
                except (OSError, ValueError):  # stdin closed under us
                    item = None
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is gone: the server is exiting
                    return
                if item is None:
                    return

        threading.Thread(target=pump, name="lsp-reader", daemon=True).start()
        while True:
            item = await queue.get()
            if item is None:
                return 0 if protocol.shut_down else 1
            if isinstance(item, Dropped):
                log.error("dropped %s", item.reason)
                protocol.send_error(None, INVALID_REQUEST, f"dropped {item.reason}")
                continue
            try:
                dispatch(protocol, item)
            except Exception:  # a bug in a handler must not end the session
                log.exception("error while handling a message")
            if protocol.exit_code is not None:
                return protocol.exit_code

    try:
        return asyncio.run(main())
    except (BrokenPipeError, KeyboardInterrupt):
        return 1
