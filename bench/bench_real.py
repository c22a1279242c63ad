"""Benchmark on real code and on the synthetic corpus: kerasrnnlint against its peers and its floor.

``python bench/bench_real.py [--repeat R] [--quick] [--only real|synthetic]`` builds (or reuses)
both corpora -- the real one from pinned PyPI packages (``real_corpus.py``) and the synthetic one
(``corpus_gen.py``) -- and measures on each, in the same run, every command in a fresh process
(wall time, CPU time and ``ru_maxrss`` of the children), interleaved so that a change in the
machine's load hits every command alike, best of ``R`` (default 1: a few minutes on 2 cores):

- peers: ``flake8 -j 1`` (its default checks: pycodestyle + pyflakes) and ``ruff check --no-cache
  --select E,F,W`` (the same families of checks; ruff's own threads), both ``--isolated``;
- kerasrnnlint, a full run (default ``-j``) and ``-j 1``; *cold* with ``--no-cache`` when the
  tool has the flag (else with an empty cache), *warm* = a second run over the unchanged tree with
  its cache, and the first run that fills an empty cache;
- the floor: libcst's ``parse_module`` of exactly the files that pass kerasrnnlint's prefilter
  (the prefilter is imported from ``kerasrnnlint.engine``), in a process of its own: interpreter
  start, ``import libcst``, read and parse;
- the one-file cold start: ``kerasrnnlint FILE`` against ``python -c "import libcst;
  libcst.parse_module(...)"`` on the same file (best of 5).

It prints a table per corpus, then the ratios against the targets of issue 12. kerasrnnlint runs
with its cache directories (``XDG_CACHE_HOME``, its working directory) in a scratch directory, so
that the user's own caches are neither read nor changed. A timing depends on the machine and its
load: compare only numbers printed by one run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import corpus_gen  # noqa: E402
import real_corpus  # noqa: E402
from bench_flake8 import Measurement, measure  # noqa: E402

from kerasrnnlint.engine import may_hold_recurrent_layer  # noqa: E402

CORPORA = HERE / "corpus"
QUICK_SYNTHETIC_FILES = 300
QUICK_REAL_STRIDE = 8  # --quick lints every 8th file of the real corpus

# The floor: what kerasrnnlint cannot do without -- start, import libcst, read and parse the files
# it parses. The file list comes as a file (argv would be long); libcst decodes the bytes itself.
FLOOR = r"""
import sys
import libcst
sys.setrecursionlimit(15000)
failed = 0
with open(sys.argv[1], encoding="utf-8") as listing:
    for path in listing.read().splitlines():
        with open(path, "rb") as handle:
            data = handle.read()
        try:
            libcst.parse_module(data)
        except Exception:
            failed += 1
if failed:
    print(f"{failed} files did not parse", file=sys.stderr)
"""

ONE_FILE_FLOOR = "import sys, libcst; libcst.parse_module(open(sys.argv[1], 'rb').read())"

# Names of directories that are caches of other tools, never kerasrnnlint's result cache.
OTHER_CACHES = frozenset({"__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"})

TARGETS = (
    # (key, what, target, applies to the synthetic corpus too)
    ("analysis", "-j 1 CPU / libcst parse floor CPU", 1.3, True),
    ("full", "full run wall / flake8 -j1 wall", 0.1, False),
    ("warm", "warm re-run wall / cold run wall", 0.1, True),
    ("peak", "-j 1 peak memory / floor peak memory", 1.5, True),
    ("start", "one-file cold start / import+parse", 1.2, True),
)


@dataclass(frozen=True)
class Corpus:
    name: str
    root: Path
    files: tuple[Path, ...]
    lines: int
    parsed: tuple[Path, ...]  # the files that pass the prefilter
    sample: Path  # the file of the one-file cold start


@dataclass(frozen=True)
class CacheSupport:
    no_cache: bool  # kerasrnnlint has --no-cache
    cache_dir_flag: bool  # kerasrnnlint has --cache-dir


@dataclass
class Sandbox:
    """Where kerasrnnlint keeps its caches during the benchmark; emptied for each cold run."""

    root: Path
    found: set[Path] = field(default_factory=set)  # cache directories it created outside root

    @property
    def xdg(self) -> Path:
        return self.root / "xdg"

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["XDG_CACHE_HOME"] = str(self.xdg)
        env["KERASRNNLINT_CACHE_DIR"] = str(self.cache_dir)
        return env

    def empty(self) -> None:
        for path in (self.xdg, self.cwd, self.cache_dir, *self.found):
            if path.exists():
                shutil.rmtree(path)
        self.xdg.mkdir(parents=True)
        self.cwd.mkdir(parents=True)

    def written(self) -> list[Path]:
        """Files a run left in the cache locations (the sandbox and what was found outside)."""
        out = []
        for path in (self.xdg, self.cwd, self.cache_dir, *self.found):
            if path.is_dir():
                out += [p for p in path.rglob("*") if p.is_file()]
        return out


OWN_CACHE = ".kerasrnnlint_cache"


def cache_dirs_near(corpus: Path) -> set[Path]:
    """Directories named like a cache in the corpus and its ancestors up to the repository: where
    a result cache rooted at the project (git top level, configuration directory) would be."""
    found: set[Path] = set()
    stop = HERE.parent
    for folder in (corpus, *corpus.parents):
        if folder.is_dir():
            found |= {
                child
                for child in folder.iterdir()
                if child.is_dir()
                and "cache" in child.name.lower()
                and child.name not in OTHER_CACHES
            }
        if folder == stop or folder == folder.parent:
            break
    # kerasrnnlint's own cache sits at each project root: inside the corpus too (a package with
    # its pyproject.toml or setup.py).
    return found | set(corpus.rglob(OWN_CACHE))


def detect_cache_support() -> CacheSupport:
    out = subprocess.run(
        [sys.executable, "-m", "kerasrnnlint", "--help"], capture_output=True, text=True
    )
    return CacheSupport(
        no_cache="--no-cache" in out.stdout, cache_dir_flag="--cache-dir" in out.stdout
    )


def lines_of(files: Sequence[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in files)


def python_files(root: Path) -> tuple[Path, ...]:
    return tuple(sorted(root.rglob("*.py")))


def pick_sample(parsed: Sequence[Path]) -> Path:
    """The prefiltered file of median size: a typical file that kerasrnnlint analyses."""
    by_size = sorted(parsed, key=lambda p: (p.stat().st_size, str(p)))
    return by_size[len(by_size) // 2]


def as_own_project(root: Path) -> None:
    """Make a corpus a project of its own, as a user's checkout is. Without a marker its project
    root would be this repository (found through ``.git``), and a builder's callers would be
    looked for in every file of the repository: the other corpus and the sources too (1.7 s of
    CPU on the synthetic corpus, more than its analysis)."""
    marker = root / "pyproject.toml"
    if not marker.exists():
        marker.write_text('[project]\nname = "bench-corpus"\nversion = "0"\n', encoding="utf-8")


def make_corpus(name: str, root: Path) -> Corpus:
    as_own_project(root)
    files = python_files(root)
    parsed = tuple(p for p in files if may_hold_recurrent_layer(p.read_bytes()))
    if not parsed:
        raise SystemExit(f"{root}: no file passes the prefilter; nothing to measure")
    return Corpus(name, root, files, lines_of(files), parsed, pick_sample(parsed))


def real(quick: bool) -> Corpus:
    entries = real_corpus.build(real_corpus.DEFAULT_ROOT, real_corpus.DEFAULT_CACHE)
    totals = real_corpus.totals(entries)
    print(
        f"real corpus: {totals['packages']} PyPI packages, {totals['files']} files, "
        f"{totals['keras_share']:.1%} mention Keras (manifest: "
        f"{real_corpus.DEFAULT_ROOT.parent / real_corpus.MANIFEST_NAME})"
    )
    if not quick:
        return make_corpus("real", real_corpus.DEFAULT_ROOT)
    subset = CORPORA / "real-quick"
    if subset.exists():
        shutil.rmtree(subset)
    parsed = 0
    for index, path in enumerate(python_files(real_corpus.DEFAULT_ROOT)):
        keep = index % QUICK_REAL_STRIDE == 0
        if may_hold_recurrent_layer(path.read_bytes()):
            parsed += 1
            keep = keep or parsed % 4 == 0
        if keep:
            out = subset / path.relative_to(real_corpus.DEFAULT_ROOT)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, out)
    return make_corpus("real (quick subset)", subset)


def synthetic(quick: bool) -> Corpus:
    root = CORPORA / ("synthetic-quick" if quick else "synthetic")
    files = QUICK_SYNTHETIC_FILES if quick else 3000
    existing = python_files(root) if root.exists() else ()
    if len(existing) != files:  # corpus_gen is deterministic: the same count is the same corpus
        corpus_gen.build(root, files)
    return make_corpus("synthetic (quick)" if quick else "synthetic", root)


@dataclass
class Runs:
    """Every measurement of one command; the best (least wall) is reported."""

    runs: list[Measurement] = field(default_factory=list)

    def add(self, m: Measurement) -> None:
        self.runs.append(m)

    @property
    def best(self) -> Measurement:
        return min(self.runs, key=lambda m: m.wall)


def ruff_command() -> list[str]:
    exe = shutil.which("ruff")
    return [exe] if exe else [sys.executable, "-m", "ruff"]


def bench_corpus(corpus: Corpus, repeat: int, support: CacheSupport, one_file_repeat: int) -> dict:
    krl = [sys.executable, "-m", "kerasrnnlint", "--isolated"]
    cold_flags = ["--no-cache"] if support.no_cache else []
    scratch = Path(tempfile.mkdtemp(prefix="krl-bench-"))
    sandbox = Sandbox(scratch)
    listing = scratch / "parsed.txt"
    listing.write_text("".join(f"{p}\n" for p in corpus.parsed), encoding="utf-8")
    target = str(corpus.root)
    if support.cache_dir_flag:
        krl += ["--cache-dir", str(sandbox.cache_dir)]

    def ours(*extra: str) -> Measurement:
        # 2: input errors in the corpus (a file that does not parse) still measure a whole run
        return measure([*krl, *extra, target], sandbox.cwd, sandbox.env(), ok=(0, 1, 2))

    commands: dict[str, Callable[[], Measurement]] = {
        "flake8 -j1": lambda: measure(
            [sys.executable, "-m", "flake8", "--isolated", "-j", "1", "--exit-zero", target], HERE
        ),
        "ruff check": lambda: measure(
            [
                *ruff_command(),
                "check",
                "--isolated",
                "--no-cache",
                "--no-respect-gitignore",
                "--select",
                "E,F,W",
                "--exit-zero",
                "--quiet",
                target,
            ],
            HERE,
        ),
        "kerasrnnlint cold": lambda: ours(*cold_flags),
        "kerasrnnlint -j1 cold": lambda: ours("--jobs", "1", *cold_flags),
        "libcst parse floor": lambda: measure([sys.executable, "-c", FLOOR, str(listing)], HERE),
    }
    results = {name: Runs() for name in commands}
    results["kerasrnnlint first run"] = Runs()
    results["kerasrnnlint warm"] = Runs()

    # kerasrnnlint's own cache directories are emptied even when an earlier run left them.
    before = {path for path in cache_dirs_near(corpus.root) if path.name != OWN_CACHE}
    try:
        # The OS file cache and byte-compiled imports, warmed once, unmeasured.
        for path in corpus.files:
            path.read_bytes()
        sandbox.empty()
        measure([sys.executable, "-c", FLOOR, str(listing)], HERE)
        for _ in range(repeat):
            for name, command in commands.items():
                print(f"  {corpus.name}: {name}", file=sys.stderr)
                results[name].add(command())
            # A first run over an empty cache, then a re-run over the unchanged tree.
            sandbox.found |= cache_dirs_near(corpus.root) - before
            sandbox.empty()
            results["kerasrnnlint first run"].add(ours())
            sandbox.found |= cache_dirs_near(corpus.root) - before
            written = sandbox.written()
            results["kerasrnnlint warm"].add(ours())
        starts = one_file_starts(corpus.sample, krl, cold_flags, sandbox, one_file_repeat)
    finally:
        for path in sandbox.found:
            shutil.rmtree(path, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "best": {name: runs.best for name, runs in results.items()},
        "cache_files": len(written),
        "cache_bytes": sum(p.stat().st_size for p in written if p.exists()),
        "starts": starts,
    }


def one_file_starts(
    sample: Path, krl: list[str], cold_flags: list[str], sandbox: Sandbox, repeat: int
) -> dict[str, Measurement]:
    ours, floor = Runs(), Runs()
    for _ in range(repeat):
        sandbox.empty()
        ours.add(measure([*krl, *cold_flags, str(sample)], sandbox.cwd, sandbox.env(), (0, 1, 2)))
        floor.add(measure([sys.executable, "-c", ONE_FILE_FLOOR, str(sample)], HERE))
    return {"kerasrnnlint": ours.best, "import+parse": floor.best}


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def report(corpus: Corpus, data: dict, support: CacheSupport) -> dict[str, float]:
    best: dict[str, Measurement] = data["best"]
    starts: dict[str, Measurement] = data["starts"]
    n = len(corpus.files)
    print()
    print(
        f"== {corpus.name}: {n} files, {corpus.lines} lines; {len(corpus.parsed)} pass the "
        f"prefilter; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'command':<30}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'files/s':>10}")
    cold_label = "--no-cache" if support.no_cache else "empty cache"
    labels = {
        "flake8 -j1": "flake8 -j1",
        "ruff check": "ruff check (E,F,W)",
        "kerasrnnlint cold": f"kerasrnnlint ({cold_label})",
        "kerasrnnlint first run": "kerasrnnlint (empty cache)",
        "kerasrnnlint warm": "kerasrnnlint (warm re-run)",
        "kerasrnnlint -j1 cold": f"kerasrnnlint -j 1 ({cold_label})",
        "libcst parse floor": f"libcst parse of {len(corpus.parsed)} files",
    }
    for key, label in labels.items():
        m = best[key]
        count = len(corpus.parsed) if key == "libcst parse floor" else n
        print(f"{label:<30}{m.wall:>9.2f}{m.cpu:>9.2f}{m.maxrss_mb:>9.0f}{count / m.wall:>10.0f}")
    size = f"{data['cache_files']} files, {data['cache_bytes'] / 1e6:.1f} MB"
    print(
        "result cache: "
        + (f"{size} written by the first run" if data["cache_files"] else "none written")
    )
    sample = corpus.sample
    sample_lines = sample.read_bytes().count(b"\n")
    print(
        f"one-file cold start on {sample.relative_to(corpus.root)} ({sample_lines} lines): "
        f"kerasrnnlint {starts['kerasrnnlint'].wall:.3f} s, "
        f"python -c 'import libcst; libcst.parse_module(...)' {starts['import+parse'].wall:.3f} s"
    )
    cold, serial, floor = (
        best["kerasrnnlint cold"],
        best["kerasrnnlint -j1 cold"],
        best["libcst parse floor"],
    )
    return {
        "analysis": ratio(serial.cpu, floor.cpu),
        "full": ratio(cold.wall, best["flake8 -j1"].wall),
        "warm": ratio(best["kerasrnnlint warm"].wall, cold.wall),
        "peak": ratio(serial.maxrss_mb, floor.maxrss_mb),
        "start": ratio(starts["kerasrnnlint"].wall, starts["import+parse"].wall),
        "full_cpu": ratio(cold.cpu, best["flake8 -j1"].cpu),
        "warm_cpu": ratio(best["kerasrnnlint warm"].cpu, cold.cpu),
        "ruff": ratio(cold.wall, best["ruff check"].wall),
        "first": ratio(best["kerasrnnlint first run"].wall, cold.wall),
        "cache_files": float(data["cache_files"]),
    }


def print_targets(ratios: dict[str, dict[str, float]]) -> None:
    names = list(ratios)
    print()
    print("== targets (issue 12), ratios measured in this run")
    print(f"{'ratio':<40}" + "".join(f"{n:>12}" for n in names) + f"{'target':>9}  met")
    for key, what, target, both in TARGETS:
        values = [ratios[n][key] for n in names]
        judged = values if both else values[:1]
        met = "yes" if all(v <= target for v in judged) else "no"
        if key == "warm" and not any(ratios[n]["cache_files"] for n in names):
            met += " (no result cache written: a re-run repeats the work)"
        elif not both:
            met += f" ({names[0]})"
        print(f"{what:<40}" + "".join(f"{v:>12.3f}" for v in values) + f"{target:>9}  {met}")
    # CPU time moves less than wall time when other jobs load the machine.
    for key, what in (
        ("full_cpu", "full run CPU / flake8 -j1 CPU"),
        ("warm_cpu", "warm re-run CPU / cold run CPU"),
        ("ruff", "full run wall / ruff check wall"),
        ("first", "first run (fills the cache) / cold"),
    ):
        values = [ratios[n][key] for n in names]
        print(f"{what:<40}" + "".join(f"{v:>12.3f}" for v in values) + f"{'-':>9}  (info)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per command (best kept)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: a subset of the real corpus, 300 synthetic files, one repeat",
    )
    parser.add_argument("--only", choices=("real", "synthetic"), help="one corpus only")
    args = parser.parse_args()
    if importlib_missing("flake8"):
        raise SystemExit("flake8 is not installed (pip install flake8)")
    repeat = 1 if args.quick else max(1, args.repeat)
    # Byte-compiled first, as `pip install` leaves it: under PYTHONDONTWRITEBYTECODE (or a
    # read-only checkout) every run would compile the package again and the start-up rows
    # would measure the compiler.
    compileall.compile_dir(str(HERE.parent / "kerasrnnlint"), quiet=1)
    one_file_repeat = 2 if args.quick else 5
    support = detect_cache_support()
    print(
        f"kerasrnnlint --no-cache: {'yes' if support.no_cache else 'no'}; "
        f"--cache-dir: {'yes' if support.cache_dir_flag else 'no'}; repeat {repeat}"
    )
    corpora = []
    if args.only != "synthetic":
        corpora.append(real(args.quick))
    if args.only != "real":
        corpora.append(synthetic(args.quick))
    ratios = {}
    for corpus in corpora:
        data = bench_corpus(corpus, repeat, support, one_file_repeat)
        ratios[corpus.name.split(" ")[0]] = report(corpus, data, support)
    print_targets(ratios)


def importlib_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None


if __name__ == "__main__":
    main()
