"""The language server against hostile or broken clients, over raw stdio frames written by hand:
a 60 GB ``Content-Length``, requests with invalid params, requests after ``shutdown``, ``exit``
without ``shutdown``, and ``kerasrnnlint server`` where pygls is not installed."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

SERVER = [sys.executable, "-m", "kerasrnnlint", "server"]
TIMEOUT = 20.0
ROOT = Path(__file__).resolve().parent.parent

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(8, activation="relu")\n'


class RawClient:
    """Frames written and read by hand, so nothing in between can fix them up."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            SERVER,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def request(self, method: str, params: Any = None) -> int:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self.next_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send(
            {"method": method, "params": params} if params is not None else {"method": method}
        )

    def response(self, msg_id: int | None) -> dict[str, Any]:
        """The response to ``msg_id`` (None: an error answered with ``id: null``)."""
        while True:
            try:
                message = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError(f"no response to request {msg_id}") from None
            if message is None:
                raise AssertionError(f"the server closed its output before answering {msg_id}")
            if "method" not in message and message.get("id") == msg_id:
                return message

    def call(self, method: str, params: Any = None) -> dict[str, Any]:
        return self.response(self.request(method, params))

    def initialize(self, root: Path) -> None:
        self.call("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        self.notify("initialized", {})

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=TIMEOUT)
        finally:
            self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def raw(tmp_path: Path) -> Any:
    client = RawClient(tmp_path)
    client.initialize(tmp_path)
    yield client
    client.close()


def error_code(response: dict[str, Any]) -> int:
    assert "error" in response, response
    code: int = response["error"]["code"]
    return code


def open_risky(raw: RawClient, tmp_path: Path) -> str:
    uri = (tmp_path / "model.py").as_uri()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": RISKY}
    raw.notify("textDocument/didOpen", {"textDocument": item})
    return uri


def test_a_60_gb_content_length_is_refused_and_the_server_keeps_serving(
    raw: RawClient, tmp_path: Path
) -> None:
    uri = open_risky(raw, tmp_path)
    # The client lies: it announces 60 GB and sends a small body, then a normal request.
    raw.write(b'Content-Length: 60000000000\r\n\r\n{"jsonrpc": "2.0", "id": 99, "method": "x"}')
    refused = raw.response(None)
    assert error_code(refused) == -32600
    assert "60000000000 bytes" in refused["error"]["message"]
    hover = raw.call(
        "textDocument/hover",
        {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}},
    )
    assert "result" in hover  # still serving
    assert raw.process.poll() is None


def test_invalid_params_get_invalid_params(raw: RawClient, tmp_path: Path) -> None:
    uri = open_risky(raw, tmp_path)
    doc = {"uri": uri}
    bad_hovers = [
        {"textDocument": doc},  # no position
        {"textDocument": doc, "position": {"line": -1, "character": 0}},
        {"textDocument": doc, "position": {"line": 2**40, "character": 0}},
        {"textDocument": doc, "position": {"line": 1_000_000, "character": 0}},  # past the end
        {"textDocument": doc, "position": "here"},
    ]
    for params in bad_hovers:
        assert error_code(raw.call("textDocument/hover", params)) == -32602, params
    context = {"diagnostics": []}
    backwards = {"start": {"line": 2, "character": 0}, "end": {"line": 0, "character": 0}}
    huge = {"start": {"line": 0, "character": 0}, "end": {"line": 5_000_000, "character": 0}}
    for rng in (backwards, huge):
        params = {"textDocument": doc, "range": rng, "context": context}
        assert error_code(raw.call("textDocument/codeAction", params)) == -32602, rng
    # A valid request still works, and a character past the end of a line is its end.
    ok = raw.call(
        "textDocument/hover", {"textDocument": doc, "position": {"line": 2, "character": 500}}
    )
    assert "result" in ok


def test_a_request_after_shutdown_is_an_invalid_request(raw: RawClient) -> None:
    assert raw.call("shutdown")["result"] is None
    after = raw.call("textDocument/hover", {"textDocument": {"uri": "file:///x.py"}})
    assert error_code(after) == -32600
    raw.notify("exit")
    assert raw.wait() == 0


def test_exit_without_shutdown_exits_1(raw: RawClient) -> None:
    raw.notify("exit")
    assert raw.wait() == 1


def test_server_without_pygls_says_what_to_install(tmp_path: Path) -> None:
    # pygls (and lsprotocol) made unimportable for the child only, by a meta-path finder.
    block = (
        "import sys, runpy\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "sys.argv = ['kerasrnnlint', 'server']\n"
        "runpy.run_module('kerasrnnlint', run_name='__main__', alter_sys=True)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", block],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "pygls" in lines[0] and "pip install" in lines[0]
    assert "internal error" not in lines[0]
