"""Benchmark: what parsing an input in a child process costs, against parsing it in the process.

``python bench/bench_isolation.py [--repeat R]`` lints the same Python file both ways (the
runner's ``lint_prepared`` and ``lint_isolated``, the child forced), best of ``R`` (default 5),
for a file at the isolation threshold (``runner.ISOLATE_BYTES``) and for a typical small file,
and prints the wall times and the ratio isolated / in-process. The runner isolates only files
at or above the threshold, where the ratio is close to 1; for small files the fork would
dominate, which is why they are parsed in the process. Compare only numbers from one run.
"""

from __future__ import annotations

import argparse
import time

from kerasrnnlint import runner
from kerasrnnlint.config import Settings


def source(size: int) -> str:
    lines = ["from keras.layers import LSTM\n"]
    index = 0
    while sum(map(len, lines)) < size:
        lines.append(f"layer_{index} = LSTM({index + 1}, activation='relu', name='l{index}')\n")
        index += 1
    return "".join(lines)


def best(function: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    original = runner.ISOLATE_BYTES
    for label, size in (("threshold", original), ("small (2 KB)", 2048)):
        item = runner.Prepared("bench.py", "python", source(size))
        inside = best(lambda item=item: runner.lint_prepared(item, settings), args.repeat)
        runner.ISOLATE_BYTES = 0  # force the child for this measurement
        child = best(lambda item=item: runner.lint_isolated(item, settings), args.repeat)
        runner.ISOLATE_BYTES = original
        print(
            f"{label:>14}: in process {inside * 1000:8.1f} ms, in a child {child * 1000:8.1f} ms, "
            f"ratio {child / inside:5.2f}"
        )


if __name__ == "__main__":
    main()
