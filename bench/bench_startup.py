"""Benchmark: a one-file cold start (issue 12) against libcst's import and parse of the same file.

``python bench/bench_startup.py [--repeat N] [FILE ...]`` runs, interleaved, ``kerasrnnlint
--no-cache FILE`` (the console script, in a fresh process each time) and its peer, ``python -c
"import libcst; libcst.parse_module(open(FILE).read())"``, on a real ~800-line module of the real
corpus (``bench/real_corpus.py`` builds it; skipped when it is absent) and on a small fixture, and
prints the CPU time (user + system of the child process) of each, median of N (default 15), with
the ratio taken pair by pair. Target (issue 12): kerasrnnlint / peer <= 1.2.

It also prints, measured the same way, where a start-up goes: the interpreter alone (``python -c
pass``), ``import libcst``, and ``import libcst`` plus every module the run imports besides
(kerasrnnlint's own and the standard library's that libcst does not already import).

The package is byte-compiled first (``compileall``, as ``pip install`` does): a run whose
``__pycache__`` cannot be written (``PYTHONDONTWRITEBYTECODE``, a read-only checkout) compiles
every module of kerasrnnlint on every start, which is not what a user's install does.
``--no-compile`` measures the tree as it is. A timing depends on the machine and its load:
compare only numbers from one run of this script.
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import real_corpus  # noqa: E402

SMALL = ROOT / "fixtures" / "krl001_unbounded_activation.py"
TARGET = 1.2
PEER = "import sys, libcst; libcst.parse_module(open(sys.argv[1]).read())"

# What a run imports besides libcst, printed by a child process that lints FILE in-process.
MODULES = """
import contextlib, io, sys
import libcst
before = set(sys.modules)
from kerasrnnlint.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    main(["--no-cache", sys.argv[1]])
print(",".join(sorted(m for m in set(sys.modules) - before if "." not in m or m.startswith("k"))))
"""


def environment() -> dict[str, str]:
    """This tree's code first on the path, as in the other benchmarks; no colour."""
    env = dict(os.environ, NO_COLOR="1")
    env.pop("FORCE_COLOR", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    )
    return env


def console_script() -> list[str]:
    """How the ``kerasrnnlint`` command starts: the console script beside this interpreter (run by
    it, as its ``#!`` line says), else ``python -m kerasrnnlint``."""
    script = Path(sys.executable).parent / "kerasrnnlint"
    if script.is_file():
        with open(script, "rb") as handle:
            if handle.read(2) == b"#!":
                return [sys.executable, str(script)]
    return [sys.executable, "-m", "kerasrnnlint"]


def cpu_seconds(command: list[str], env: dict[str, str], cwd: Path) -> float:
    """User + system seconds of one run of ``command`` (and anything it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def paired(
    a: list[str], b: list[str], repeat: int, env: dict[str, str], cwd: Path
) -> tuple[float, float, float]:
    """Median CPU seconds of A and of B, and the median of the A/B ratios taken pair by pair
    (A and B alternate, after one unmeasured run of each)."""
    cpu_seconds(a, env, cwd)
    cpu_seconds(b, env, cwd)
    times_a: list[float] = []
    times_b: list[float] = []
    for _ in range(repeat):
        times_a.append(cpu_seconds(a, env, cwd))
        times_b.append(cpu_seconds(b, env, cwd))
    ratios = [x / y for x, y in zip(times_a, times_b, strict=True) if y > 0]
    return statistics.median(times_a), statistics.median(times_b), statistics.median(ratios)


def imported_by_a_run(path: Path, env: dict[str, str], cwd: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", MODULES, str(path)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [name for name in out.strip().split(",") if name]


def row(label: str, value: float, note: str = "") -> None:
    print(f"  {label:<44} {value:7.3f}{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="files to start on (default: two)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-compile", action="store_true", help="do not byte-compile first")
    args = parser.parse_args()
    if not args.no_compile:
        compileall.compile_dir(str(ROOT / "kerasrnnlint"), quiet=1)
    files: list[tuple[str, Path]] = [(str(f), f.resolve()) for f in args.files]
    if not files:
        real = real_corpus.DEFAULT_ROOT / real_corpus.LSP_MODULE
        if real.is_file():
            files.append((f"real ~800-line module ({real_corpus.LSP_MODULE})", real))
        else:
            print(f"(no real corpus at {real_corpus.DEFAULT_ROOT}: python bench/real_corpus.py)")
        files.append((f"small fixture ({SMALL.relative_to(ROOT)})", SMALL))
    env = environment()
    tool = console_script()
    repeat = max(1, args.repeat)
    print(f"CPU s (user + system of the process), median of {repeat}; ratios pair by pair")
    print(f"command: {' '.join(Path(part).name for part in tool)} --no-cache FILE")
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)  # no configuration, cache or module of the working directory
        for label, path in files:
            lines = len(path.read_bytes().splitlines())
            ours, peer, ratio = paired(
                [*tool, "--no-cache", str(path)],
                [sys.executable, "-c", PEER, str(path)],
                repeat,
                env,
                cwd,
            )
            met = "yes" if ratio <= TARGET else "no"
            print(f"\n{label}, {lines} lines")
            row("kerasrnnlint --no-cache FILE", ours)
            row("python -c 'import libcst; parse(FILE)'", peer)
            row(f"ratio (target <= {TARGET})", ratio, f"  met: {met}")
            modules = imported_by_a_run(path, env, cwd)
            python = [sys.executable, "-c"]
            start, libcst_only, _ = paired(
                [*python, "pass"], [*python, "import libcst"], repeat, env, cwd
            )
            with_ours, _, _ = paired(
                [*python, f"import libcst, {', '.join(modules)}"],
                [*python, "pass"],
                repeat,
                env,
                cwd,
            )
            print("  where the start-up goes:")
            row("  python -c pass", start)
            row("  + import libcst", libcst_only - start)
            row(f"  + the other {len(modules)} modules a run imports", with_ours - libcst_only)
            row("  + parse, analysis, report, exit", ours - with_ours)
    return 0


if __name__ == "__main__":
    sys.exit(main())
