"""Where kerasrnnlint's analysis spends its time on real code: a cProfile, grouped by our module.

``python bench/profile_real.py [--corpus DIR] [--top N] [--save FILE]`` prepares every file of the
corpus (default: the real corpus of ``real_corpus.py``, built if missing) the way a run does
(read, prefilter, decode), then profiles, in this process (what ``-j 1`` does), the analysis of
the files that pass the prefilter with the default settings. It prints:

- the own time of each group: our modules (``positions``, ``scopes``, ``resolver``, ``interpreter``,
  ``layer_ir``, ``engine``, ``rules``...), libcst's parser, the rest of libcst (visitors, codegen)
  and the standard library -- own times add up to the total;
- the cumulative time of the analysis' stages (the functions of the source frontend that the run
  calls: parse, scope index, layer search, context, noqa), when they exist under those names;
- the top functions by own time and by cumulative time.

Next to it, the same files parsed by ``libcst.parse_module`` alone, timed without the profiler:
the floor. The profiler slows Python code more than libcst's native parser, so read the groups as
shares, and the floor ratio from ``bench_real.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import real_corpus  # noqa: E402

# The stages of one file's analysis, by function name (module file, function): reported when found.
STAGES = (
    ("lint (all of it)", "runner.py", "lint_prepared"),
    ("source frontend", "source/__init__.py", "analyze"),
    ("parse (libcst)", "source/__init__.py", "parse"),
    ("scope index", "scopes.py", "index_module"),
    ("layers (interpreter + IR)", "layer_ir.py", "find_layers"),
    ("interpreter walk + records", "interpreter.py", "interpret"),
    ("uncalled functions", "interpreter.py", "run_uncalled"),
    ("positions (spans asked)", "positions.py", "span"),
    ("of which: whole-module pass", "positions.py", "_whole_module"),
    ("CPython's parse (lines, positions)", "positions.py", "python_tree"),
    ("noqa", "noqa.py", "noqa_map"),
    ("rules + severity", "engine.py", "check_layers"),
)


def group_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/kerasrnnlint/" in path:
        inner = path.rsplit("/kerasrnnlint/", 1)[1]
        if inner.startswith("rules/"):
            return "rules"
        if inner.startswith("frontends/source/"):
            name = inner.removeprefix("frontends/source/").removesuffix(".py")
            return "source/__init__" if name == "__init__" else name
        return inner.removesuffix(".py")
    if "/libcst/" in path:
        if "/libcst/_parser/" in path:
            return "libcst: parser"
        return "libcst: nodes, visitors, codegen"
    if filename == "~":
        return "builtins (by caller below)"
    return "python stdlib / other"


def prepared_items(corpus: Path) -> list[object]:
    from kerasrnnlint import runner
    from kerasrnnlint.engine import FileResult

    items = []
    for path in sorted(corpus.rglob("*.py")):
        ready = runner.prepare(str(path))
        if not isinstance(ready, FileResult):
            items.append(ready)
    return items


def parse_floor(items: list[object]) -> float:
    import libcst

    start = time.process_time()
    for item in items:
        with contextlib.suppress(Exception):
            libcst.parse_module(item.text or "")  # type: ignore[attr-defined]
    return time.process_time() - start


def stage_times(items: list[object]) -> dict[str, float] | None:
    """CPU seconds of each stage of the source frontend, without the profiler, by calling its
    steps as ``analyze`` does today; None when the frontend no longer has them (restructured)."""
    try:
        import libcst

        from kerasrnnlint.frontends.source import _parse_or_mask, deep_recursion
        from kerasrnnlint.frontends.source import resolver as resolver_module
        from kerasrnnlint.frontends.source.interpreter import interpret
        from kerasrnnlint.frontends.source.layer_ir import describe
        from kerasrnnlint.frontends.source.noqa import noqa_map
        from kerasrnnlint.frontends.source.positions import Positions
        from kerasrnnlint.frontends.source.project import project_for
        from kerasrnnlint.frontends.source.resolver import Resolver
        from kerasrnnlint.frontends.source.scopes import index_module
    except ImportError:
        return None
    times: dict[str, float] = defaultdict(float)

    def timed(key: str, func, *args):  # type: ignore[no-untyped-def]
        start = time.process_time()
        try:
            return func(*args)
        finally:
            times[key] += time.process_time() - start

    # The positions' share of the stages above: every span asked (the codegen it needs) and
    # CPython's parse of the text (call lines and statement offsets), timed where it runs.
    positions_key = "of which: positions, CPython's parse"
    span, python_tree = Positions.span, resolver_module.python_tree

    def timed_span(self, node):  # type: ignore[no-untyped-def]
        return timed(positions_key, span, self, node)

    def timed_tree(text):  # type: ignore[no-untyped-def]
        return timed(positions_key, python_tree, text)

    Positions.span = timed_span  # type: ignore[method-assign]
    resolver_module.python_tree = timed_tree
    try:
        for item in items:
            text = item.text or ""  # type: ignore[attr-defined]
            path = item.path  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                timed("libcst.parse_module alone", libcst.parse_module, text)
            try:
                module, text, _ = timed("parse (our wrapper, incl. libcst)", _parse_or_mask, text)
            except Exception:
                continue
            with deep_recursion():
                index = timed("scope index", index_module, module)
                linked = project_for(path)
                resolver = Resolver(index, path, linked, text)
                walk = "interpreter (layers, values, context)"
                records = timed(walk, interpret, module, resolver)
                ir = "layer IR (incl. positions)"
                layers = [timed(ir, describe, resolver, record) for record in records]
                if layers:
                    timed("noqa", noqa_map, text)
    except (TypeError, AttributeError):
        return None
    finally:
        Positions.span = span  # type: ignore[method-assign]
        resolver_module.python_tree = python_tree
    return dict(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(real_corpus.DEFAULT_ROOT))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save", help="write the raw profile here (for snakeviz, pstats)")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="as `kerasrnnlint --no-cache` (what bench_real's -j 1 run measures): the project "
        "modules a file imports are parsed and summarised for every run, not read from the cache",
    )
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if corpus == real_corpus.DEFAULT_ROOT:
        real_corpus.build()

    from kerasrnnlint import runner
    from kerasrnnlint.config import Settings

    # The analysis' modules (and libcst) imported first: imports are not the analysis.
    from kerasrnnlint.frontends.source import interpreter, layer_ir, noqa, project  # noqa: F401

    if args.no_cache:
        project.configure(cache=False)

    read_start = time.process_time()
    items = prepared_items(corpus)
    reading = time.process_time() - read_start
    total_files = sum(1 for _ in corpus.rglob("*.py"))
    settings = Settings()
    # Once unprofiled: caches that fill on first use (regexes, tables) are not what a run repeats.
    warm = items[:3]
    for item in warm:
        runner.lint_prepared(item, settings)  # type: ignore[arg-type]

    if args.no_cache:
        project.configure(cache=False)  # forgets the summaries the warm-up made
    plain_start = time.process_time()
    results = [runner.lint_prepared(item, settings) for item in items]  # type: ignore[arg-type]
    plain = time.process_time() - plain_start
    floor = parse_floor(items)

    if args.no_cache:
        project.configure(cache=False)
    profile = cProfile.Profile()
    profile.enable()
    for item in items:
        runner.lint_prepared(item, settings)  # type: ignore[arg-type]
    profile.disable()
    if args.save:
        profile.dump_stats(args.save)
    stats = pstats.Stats(profile)
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())

    findings = sum(len(r.findings) for r in results)
    errors = sum(1 for r in results if r.error)
    print(f"{corpus}: {len(items)} files pass the prefilter; {findings} findings, {errors} errors")
    print(
        f"without the profiler: analysis {plain:.2f} s CPU, libcst.parse_module alone "
        f"{floor:.2f} s (analysis / parse = {plain / floor:.2f}; parse share {floor / plain:.0%})"
    )
    print(
        f"reading, prefiltering and decoding all {total_files} files (not profiled, not in the "
        f"analysis): {reading:.2f} s CPU"
    )
    print(f"with the profiler: {total:.2f} s own time in all\n")

    stages = stage_times(items)
    if stages is not None:
        print(f"{'stage, without the profiler':<36}{'cpu s':>8}{'/ parse':>9}")
        alone = stages.get("libcst.parse_module alone", 0.0) or 1.0
        for label, seconds in stages.items():
            print(f"{label:<36}{seconds:>8.2f}{seconds / alone:>9.2f}")
        print()

    own: dict[str, float] = defaultdict(float)
    builtins_by_caller: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, callers) in raw.items():
        group = group_of(filename)
        own[group] += tt
        if filename == "~":
            # Attribute a builtin's own time to its callers' groups, in proportion to calls.
            calls = sum(c[1] for c in callers.values()) or 1
            for (cfile, _cl, _cn), c in callers.items():
                builtins_by_caller[group_of(cfile)] += tt * c[1] / calls
    print(f"{'own time by group':<36}{'s':>8}{'share':>8}   (+ builtins they call)")
    for group, seconds in sorted(own.items(), key=lambda kv: -kv[1]):
        extra = builtins_by_caller.get(group, 0.0)
        print(f"{group:<36}{seconds:>8.2f}{seconds / total:>8.1%}   +{extra:.2f}")

    print(f"\n{'stage (cumulative)':<36}{'s':>8}{'share':>8}{'calls':>8}")
    for label, file_end, func in STAGES:
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in raw.items():
            if name == func and filename.replace("\\", "/").endswith(file_end):
                print(f"{label:<36}{ct:>8.2f}{ct / total:>8.1%}{nc:>8}")
                break

    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        print(f"\ntop {args.top} functions by {title}:")
        ordered = sorted(raw.items(), key=lambda kv: -(kv[1][2] if key == "tottime" else kv[1][3]))
        print(f"{'own s':>8}{'cum s':>8}{'calls':>10}  function")
        for (filename, line, name), (_cc, nc, tt, ct, _callers) in ordered[: args.top]:
            where = group_of(filename)
            short = Path(filename).name if filename != "~" else ""
            print(f"{tt:>8.2f}{ct:>8.2f}{nc:>10}  {where}: {name} ({short}:{line})")


if __name__ == "__main__":
    main()
