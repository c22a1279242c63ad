"""Language-server latency: didChange on a 1,000-line file → publishDiagnostics.

Starts ``kerasrnnlint server --debounce-ms 0`` as a subprocess, drives it over stdio with pygls's
client, and for each of N edits measures the time from sending ``textDocument/didChange`` to
receiving the ``publishDiagnostics`` for that version. The peers, measured in the same run on the
same text: ``libcst.parse_module`` of the text (median of 5; the floor any libcst-based analysis
pays), the in-process lint of the text (what the server does per edit), and a plain
``kerasrnnlint FILE`` CLI run (best of 3, process start included).

Target (issue 12): ≤ 100 ms. The printed ratio is the server's median over libcst's parse; the
server's own overhead is the latency minus the in-process lint time.

    python bench/bench_lsp.py [--edits 20] [--lines 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

DEBOUNCE_MS = 0.0
TARGET_MS = 100.0

HEADER = """\
\"\"\"A generated training module: many small model builders, a few risky recurrent layers.\"\"\"

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEQ_LEN = 128
FEATURES = 16
"""

BLOCK = """

def build_{n}(units=64, dropout=0.1):
    inputs = keras.Input(shape=(SEQ_LEN, FEATURES))
    x = layers.Conv1D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.LayerNormalization()(x)
    x = layers.{cls}(
        units,
        activation={act!r},
        dropout=dropout,
        return_sequences=True,
    )(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs, name="model_{n}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate={lr}), loss="mse")
    return model


def make_data_{n}(batch=32):
    rng = np.random.default_rng({n})
    x = rng.normal(size=(batch, SEQ_LEN, FEATURES)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
"""


def make_source(lines: int) -> str:
    parts = [HEADER]
    n = 0
    while sum(p.count("\n") for p in parts) < lines:
        cls = ("LSTM", "GRU", "SimpleRNN")[n % 3]
        act = ("tanh", "relu", "tanh", "elu")[n % 4]
        parts.append(BLOCK.format(n=n, cls=cls, act=act, lr=(1e-3, 4e-3)[n % 2]))
        n += 1
    text = "".join(parts)
    return "".join(text.splitlines(keepends=True)[:lines])


def cli_seconds(path: Path, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kerasrnnlint", "--isolated", "-q", str(path)],
            capture_output=True,
            check=False,
        )
        best = min(best, time.perf_counter() - start)
    return best


def parse_seconds(text: str, repeats: int = 5) -> float:
    """Median wall seconds of libcst's parse of the text (the peer)."""
    import libcst

    walls = []
    for _ in range(repeats):
        wall = time.perf_counter()
        libcst.parse_module(text)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls)


def inprocess_seconds(text: str, path: str, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds of linting the text in this process (the server's work)."""
    from kerasrnnlint.runner import lint_text

    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        lint_text(text, path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


async def lsp_latencies(path: Path, text: str, edits: int) -> tuple[list[float], int]:
    client = LanguageClient("bench", "1")
    published: dict[int, float] = {}
    counts: dict[int, int] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            published[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)

    await client.start_io(
        sys.executable, "-m", "kerasrnnlint", "server", "--debounce-ms", str(DEBOUNCE_MS)
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=path.parent.as_uri()
        )
    )
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await _wait(published, 1)
    latencies = []
    lines = text.splitlines(keepends=True)
    for version in range(2, edits + 2):
        # A real edit: a comment typed at a different line each time.
        edited = list(lines)
        row = (version * 37) % len(edited)
        edited[row] = edited[row].rstrip("\n") + f"  # edit {version}\n"
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangeWholeDocument(text="".join(edited))
                ],
            )
        )
        await _wait(published, version)
        latencies.append(published[version] - start)
    findings = counts[edits + 1]
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, findings


async def _wait(published: dict[int, float], version: int, timeout: float = 30.0) -> None:
    deadline = time.perf_counter() + timeout
    while version not in published:
        if time.perf_counter() > deadline:
            raise TimeoutError(f"no diagnostics for version {version}")
        await asyncio.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    text = make_source(args.lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train_models.py"
        path.write_text(text, encoding="utf-8")
        latencies, findings = asyncio.run(lsp_latencies(path, text, args.edits))
        cli = cli_seconds(path)
        inproc, inproc_cpu = inprocess_seconds(text, str(path))
        parse = parse_seconds(text)
    after = sorted((t * 1000 - DEBOUNCE_MS) for t in latencies)
    median = statistics.median(after)
    worst = after[-1]
    print(f"file: {text.count(chr(10))} lines, {findings} findings; {args.edits} didChange edits")
    print(f"didChange -> publishDiagnostics, debounce {DEBOUNCE_MS:.0f} ms:")
    print(
        f"  median {median:.1f} ms, p90 {after[int(0.9 * (len(after) - 1))]:.1f} ms, "
        f"max {worst:.1f} ms  (target <= {TARGET_MS:.0f} ms)"
    )
    print(f"peer: libcst.parse_module of the text      {parse * 1000:.1f} ms (median of 5)")
    print(f"      kerasrnnlint CLI on the same file {cli * 1000:.1f} ms (best of 3, incl. start)")
    print(
        f"      in-process lint of the text       {inproc * 1000:.1f} ms wall, "
        f"{inproc_cpu * 1000:.1f} ms CPU (median of 5)"
    )
    print(f"ratio: server median / libcst parse = {median / (parse * 1000):.2f}")
    print(f"ratio: server median / CLI run = {median / (cli * 1000):.2f}")
    print(f"server overhead beyond the lint itself: {median - inproc * 1000:.1f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
