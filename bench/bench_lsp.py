"""Language-server latency: didChange on a 1,000-line file (or a real module) → publishDiagnostics.

Starts ``kerasrnnlint server --debounce-ms 0`` as a subprocess, drives it over stdio with pygls's
client, and for each of N edits (a comment typed at the end of a different line each time)
measures the time from sending ``textDocument/didChange`` to receiving the ``publishDiagnostics``
for that version. The peers, measured in the same run on the same text: ``libcst.parse_module``
of the text (median of 5; the floor any libcst-based analysis pays), the in-process full lint of
the text (what the command line does), the in-process lint of the same edits with the document's
incremental parser (what the server does per edit), and a plain ``kerasrnnlint FILE`` CLI run
(best of 3, process start included).

Target (issue 12): ≤ 100 ms. The printed ratio is the server's median over libcst's parse; the
server's own overhead is the latency minus the in-process incremental lint time.

    python bench/bench_lsp.py [--edits 20] [--lines 1000] [--file PATH | --real]

``--file`` edits a copy of a real module instead of the generated one, in a temporary directory;
``--real`` the real corpus's ~800-line module (``real_corpus.LSP_MODULE``). On a busy machine,
compare the CPU times (the server's user + system time per edit, from ``/proc``; the peers'
``process_time``): wall times there count the waits for a core.
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
            cwd=path.parent,
        )
        best = min(best, time.perf_counter() - start)
    return best


def parse_seconds(text: str, repeats: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds of libcst's parse of the text (the peer)."""
    import libcst

    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        libcst.parse_module(text)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def edited_texts(text: str, edits: int) -> list[str]:
    """The texts of the benchmark's edits: a comment typed at the end of a different line each
    time (not after a backslash continuation, where it would break the code)."""
    lines = text.splitlines(keepends=True)
    rows = [i for i, line in enumerate(lines) if not line.rstrip("\r\n").endswith("\\")]
    texts = []
    for version in range(2, edits + 2):
        edited = list(lines)
        row = rows[(version * 37) % len(rows)]
        edited[row] = edited[row].rstrip("\r\n") + f"  # edit {version}\n"
        texts.append("".join(edited))
    return texts


def incremental_seconds(text: str, path: str, edits: int) -> tuple[float, float]:
    """Median wall and CPU seconds of the server's lint of each edit, with the document's
    incremental parser (primed with the text, as on didOpen)."""
    from kerasrnnlint.config import Settings

    try:
        from kerasrnnlint.frontends.source.incremental import IncrementalParser
    except ImportError:  # a version before the incremental parse
        return float("nan"), float("nan")
    from kerasrnnlint.integrations.lsp.server import lint_document

    parser, settings = IncrementalParser(), Settings()
    lint_document(text, path, settings, parser)
    walls, cpus = [], []
    for edited in edited_texts(text, edits):
        wall, cpu = time.perf_counter(), time.process_time()
        lint_document(edited, path, settings, parser)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def lsp_latencies(path: Path, text: str, edits: int) -> tuple[list[float], int, float]:
    """The latency of each edit, the findings of the last, and the server's CPU seconds per
    edit (a load-independent measure of its work)."""
    client = LanguageClient("bench", "1")
    published: dict[int, float] = {}
    counts: dict[int, int] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            published[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)

    # In the file's directory: ``-m`` imports a ``kerasrnnlint`` of the working directory first,
    # which would run a checkout's code instead of the one PYTHONPATH names.
    await client.start_io(
        sys.executable,
        "-m",
        "kerasrnnlint",
        "server",
        "--debounce-ms",
        str(DEBOUNCE_MS),
        cwd=path.parent,
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
    pid = client._server.pid if client._server is not None else -1
    cpu = cpu_seconds(pid)
    latencies = []
    for version, edited in enumerate(edited_texts(text, edits), start=2):
        start = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=edited)],
            )
        )
        await _wait(published, version)
        latencies.append(published[version] - start)
    findings = counts[edits + 1]
    cpu = (cpu_seconds(pid) - cpu) / edits
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return latencies, findings, cpu


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
    parser.add_argument("--file", type=Path, help="a real module to edit instead")
    parser.add_argument(
        "--real",
        action="store_true",
        help="--file the real corpus's ~800-line module (real_corpus.LSP_MODULE)",
    )
    args = parser.parse_args()
    if args.real:
        from real_corpus import DEFAULT_ROOT, LSP_MODULE

        args.file = DEFAULT_ROOT / LSP_MODULE
        if not args.file.is_file():
            parser.error(f"{args.file} is missing: build the corpus (python bench/real_corpus.py)")
    if args.file is not None:
        text = args.file.read_text(encoding="utf-8").removeprefix("\ufeff")
        name = args.file.name
    else:
        text, name = make_source(args.lines), "train_models.py"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        latencies, findings, server_cpu = asyncio.run(lsp_latencies(path, text, args.edits))
        cli = cli_seconds(path)
        inproc, inproc_cpu = inprocess_seconds(text, str(path))
        incremental, incremental_cpu = incremental_seconds(text, str(path), args.edits)
        parse, parse_cpu = parse_seconds(text)
    after = sorted((t * 1000 - DEBOUNCE_MS) for t in latencies)
    median = statistics.median(after)
    worst = after[-1]
    shown = args.file if args.file is not None else "generated"
    print(f"file: {shown}, {text.count(chr(10))} lines, {findings} findings; {args.edits} edits")
    print(f"didChange -> publishDiagnostics, debounce {DEBOUNCE_MS:.0f} ms:")
    print(
        f"  median {median:.1f} ms, p90 {after[int(0.9 * (len(after) - 1))]:.1f} ms, "
        f"max {worst:.1f} ms  (target <= {TARGET_MS:.0f} ms)"
    )
    print(f"  server CPU per edit {server_cpu * 1000:.1f} ms (user + system)")
    print(
        f"peer: libcst.parse_module of the text      {parse * 1000:.1f} ms wall, "
        f"{parse_cpu * 1000:.1f} ms CPU (median of 5)"
    )
    print(f"      kerasrnnlint CLI on the same file {cli * 1000:.1f} ms (best of 3, incl. start)")
    print(
        f"      in-process full lint of the text  {inproc * 1000:.1f} ms wall, "
        f"{inproc_cpu * 1000:.1f} ms CPU (median of 5)"
    )
    print(
        f"      in-process lint of each edit, incremental parse  {incremental * 1000:.1f} ms "
        f"wall, {incremental_cpu * 1000:.1f} ms CPU (median of {args.edits})"
    )
    print(f"ratio: server median / libcst parse = {median / (parse * 1000):.2f}")
    print(f"ratio: server CPU per edit / libcst parse CPU = {server_cpu / parse_cpu:.2f}")
    print(f"ratio: server median / CLI run = {median / (cli * 1000):.2f}")
    print(f"ratio: incremental lint / full lint (in-process) = {incremental / inproc:.2f}")
    print(f"server overhead beyond the lint itself: {median - incremental * 1000:.1f} ms")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
