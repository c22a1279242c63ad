"""Benchmark: kerasrnnlint against flake8 on the same corpus, in the same run.

``python bench/bench_flake8.py [--files N] [--repeat R]`` builds the corpus
(``bench/corpus/synthetic/``, see ``corpus_gen.py``), then runs both tools as subprocesses, each
``R`` times (default 3), and prints for each the best wall time, the CPU time (user + system,
children included) of that run, the peak resident memory of its largest process (``ru_maxrss`` of
the children), the wall-time ratio kerasrnnlint / flake8, and the one-file cold start of each tool
(best of 5) next to a bare ``python -c pass``. Both tools run with their default parallelism,
output to /dev/null.

Targets (issue 2): ratio <= 0.2, kerasrnnlint cold start <= 0.25 s. A timing depends on the
machine and its load: compare only numbers from one run of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus_gen  # noqa: E402

# Runs a command in a fresh process and reports its wall time and its children's usage, so that
# each measurement's ru_maxrss covers that command only.
MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "maxrss_kb": usage.ru_maxrss, "rc": proc.returncode,
                  "stderr": proc.stderr.decode(errors="replace")[-500:]}))
"""


@dataclass(frozen=True)
class Measurement:
    wall: float
    cpu: float
    maxrss_mb: float
    rc: int


def measure(
    command: list[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0, 1),
) -> Measurement:
    """Run ``command`` once in a fresh measuring process; exit statuses other than ``ok`` stop
    the benchmark (a tool that failed measured nothing)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout)
    if data["rc"] not in ok:
        raise SystemExit(f"{command[:3]} failed with {data['rc']}: {data['stderr']}")
    return Measurement(data["wall"], data["cpu"], data["maxrss_kb"] / 1024, data["rc"])


def best_of(command: list[str], cwd: Path, repeat: int) -> Measurement:
    runs = [measure(command, cwd) for _ in range(repeat)]
    return min(runs, key=lambda m: m.wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--corpus", default=str(corpus_gen.DEFAULT_ROOT))
    parser.add_argument("--keep", action="store_true", help="reuse an existing corpus")
    args = parser.parse_args()

    corpus = Path(args.corpus)
    if not (args.keep and corpus.exists()):
        counts = corpus_gen.build(corpus, args.files)
        print(f"corpus: {sum(counts.values())} files in {corpus} {counts}")
    files = sorted(corpus.rglob("*.py"))
    lines = sum(p.read_bytes().count(b"\n") for p in files)
    print(f"corpus: {len(files)} files, {lines} lines; {os.cpu_count()} CPUs")
    if shutil.which("flake8") is None and not _has_module("flake8"):
        raise SystemExit("flake8 is not installed (pip install flake8)")

    krl = [sys.executable, "-m", "kerasrnnlint", "--isolated", str(corpus)]
    flake8 = [sys.executable, "-m", "flake8", "--isolated", str(corpus)]
    # Warm the OS file cache (and byte-compiled imports) once, unmeasured.
    measure(krl, HERE)
    measure(flake8, HERE)
    serial = [*krl, "--jobs", "1"]
    # Interleaved, so that a change in the machine's load hits every command alike.
    ours_runs, their_runs, serial_runs = [], [], []
    for _ in range(args.repeat):
        ours_runs.append(measure(krl, HERE))
        their_runs.append(measure(flake8, HERE))
        serial_runs.append(measure(serial, HERE))
    ours = min(ours_runs, key=lambda m: m.wall)
    theirs = min(their_runs, key=lambda m: m.wall)
    one_process = min(serial_runs, key=lambda m: m.wall)

    print()
    print(f"{'tool':<18}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}")
    rows = (("kerasrnnlint", ours), ("kerasrnnlint -j 1", one_process), ("flake8", theirs))
    for name, m in rows:
        print(f"{name:<18}{m.wall:>9.2f}{m.cpu:>9.2f}{m.maxrss_mb:>9.0f}")
    print(f"wall-time ratio kerasrnnlint/flake8: {ours.wall / theirs.wall:.3f}  (target <= 0.2)")
    print(f"cpu-time ratio  kerasrnnlint/flake8: {ours.cpu / theirs.cpu:.3f}")

    keras_file = next(p for p in files if b"LSTM(" in p.read_bytes())
    plain_file = next(p for p in files if not prefilter(p.read_bytes()))
    print()
    print("one-file cold start, best of 5 (wall s):")
    bare = best_of([sys.executable, "-c", "pass"], HERE, 5)
    print(f"  python -c pass                      {bare.wall:.3f}")
    for label, path in (("Keras model file", keras_file), ("file without a layer", plain_file)):
        cold = best_of([sys.executable, "-m", "kerasrnnlint", "--isolated", str(path)], HERE, 5)
        print(f"  kerasrnnlint, {label:<21} {cold.wall:.3f}  (target <= 0.25)")
    cold_flake8 = best_of([sys.executable, "-m", "flake8", "--isolated", str(keras_file)], HERE, 5)
    print(f"  flake8, Keras model file            {cold_flake8.wall:.3f}")


def prefilter(data: bytes) -> bool:
    from kerasrnnlint.engine import may_hold_recurrent_layer

    return may_hold_recurrent_layer(data)


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


if __name__ == "__main__":
    main()
