"""Benchmark: project analysis (issue 9) against the single-module analysis, in the same run.

``python bench/bench_project.py [--modules N] [--repeat R]`` generates, in a temporary directory,
a project of N modules (default 300): 10% model modules with recurrent layers whose settings come
from config modules of their own (constants, a params dict, ``**`` of an entry, a builder called
from a training script), the rest utility modules importing each other. It lints it in this
process (one job, so that the numbers compare analysis, not process pools), best of R (default
3), and prints:

- full lint, cold cache (the cache directory removed before each run);
- full lint, warm cache (every result read from the result cache);
- full lint without the cache (``--no-cache``: the analysis itself);
- one-file lint (what pre-commit does with one changed model file: the file is edited before each
  run, so its own result is not cached, the rest of the project is), warm cache and without it;

each next to the same lint with project analysis off (every file alone, as before issue 9), as a
ratio; and the same for a *single-module* project (the model modules with their values inline,
importing nothing of the project, and no training script calling their builders), where project
analysis has nothing to add (but must still look: for the builders' callers, for instance).

The one-file run is also timed as a pre-commit hook runs it, a ``python -m kerasrnnlint FILE``
process, next to the same file copied alone into an empty directory.

Targets (issue 9): single-module project ratio <= 1.05 (``--no-cache``: with the cache, a
warm run reads every result and a cold one writes them); one-file warm ratio <= 1.5. A timing
depends on the machine and its load: compare only numbers from one run of this script.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from kerasrnnlint.config import Settings  # noqa: E402
from kerasrnnlint.discovery import discover  # noqa: E402
from kerasrnnlint.frontends.source import cache, project  # noqa: E402
from kerasrnnlint.runner import lint_targets  # noqa: E402


def generate(root: Path, modules: int, linked: bool) -> list[Path]:
    """Write the project; return its model modules."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\nversion = "0"\n')
    package = root / "app"
    for sub in ("configs", "models", "utils"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    models = max(1, modules // 10)
    utils = max(0, modules - 2 * models - 1)
    found = []
    for i in range(models):
        act = "relu" if i % 3 == 0 else "tanh"
        (package / "configs" / f"conf{i}.py").write_text(
            f'"""Settings of model {i}."""\n\nACT = {act!r}\nUNITS = {16 + i}\n'
            f"PARAMS = {{'rnn': {{'activation': {act!r}, 'recurrent_dropout': 0.1}}, 'lr': 1e-3}}\n"
        )
        if linked:
            head = (
                f"from app.configs.conf{i} import ACT, PARAMS, UNITS\n"
                f"from app.utils import u{i % max(1, utils)} as helper\n"
            )
        else:
            head = (
                f"ACT = {act!r}\nUNITS = {16 + i}\n"
                f"PARAMS = {{'rnn': {{'activation': {act!r}, 'recurrent_dropout': 0.1}}}}\n"
            )
        path = package / "models" / f"model{i}.py"
        path.write_text(
            f'"""Model {i}."""\n\nimport keras\nfrom keras import layers\n\n{head}\n\n'
            "def build_rnn(units=UNITS, act='tanh'):\n"
            "    return layers.GRU(units, activation=act)\n\n\n"
            "def build():\n"
            "    model = keras.Sequential([\n"
            "        keras.Input(shape=(100, 8)),\n"
            "        layers.LSTM(UNITS, activation=ACT, return_sequences=True),\n"
            "        layers.LSTM(UNITS, **PARAMS['rnn']),\n"
            "        build_rnn(),\n"
            "        layers.Dense(1),\n"
            "    ])\n"
            "    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss='mse')\n"
            "    return model\n"
        )
        found.append(path)
    for i in range(utils):
        other = f"from app.utils.u{i - 1} import VALUE as PREVIOUS\n" if i else ""
        (package / "utils" / f"u{i}.py").write_text(
            f'"""Utility {i}."""\n\nimport os\n{other}\nVALUE = {i}\nTABLE = {{"k": {i}}}\n\n\n'
            f"def helper_{i}(x, scale=2):\n    return os.path.join(str(x), str(scale))\n"
        )
    calls = (
        "".join(
            f"from app.models.model{i} import build_rnn as b{i}\n"
            f"m{i} = b{i}(8, act={'elu' if i % 2 else 'tanh'!r})\n"
            for i in range(models)
        )
        if linked
        else "EPOCHS = 3\n"  # a single-module project: nothing crosses modules
    )
    (package / "train.py").write_text(f'"""Training script."""\n\n{calls}')
    return found


def best(run: Callable[[], object], repeat: int, before: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(
    root: Path, paths: list[Path], repeat: int, edit: Path | None = None
) -> dict[str, float]:
    """Best times of the lint of ``paths``: ``cold`` (empty cache), ``warm`` (the cache of the
    previous run), ``uncached`` (project analysis without the cache, ``--no-cache``) and
    ``alone`` (project analysis off). With ``edit``, that file is changed before every run (a
    comment appended, a new one each time), as a pre-commit run sees it: its own result is not
    in the cache, the rest of the project is."""
    settings = Settings()
    targets = discover([str(p) for p in paths], settings)
    original = edit.read_text() if edit is not None else ""
    edits = iter(range(1_000_000))

    def lint() -> object:
        return lint_targets(targets, settings, jobs=1)

    def change() -> None:
        if edit is not None:
            edit.write_text(f"{original}# edit {next(edits)}\n")

    def cold() -> None:
        shutil.rmtree(root / cache.DIRECTORY, ignore_errors=True)
        project.configure(cache=True)
        change()

    def warm() -> None:
        project.configure(cache=True)  # forget the in-process summaries: read them from disk
        change()

    def uncached() -> None:
        project.configure(cache=False)
        change()

    def alone() -> None:
        project.configure(enabled=False)
        change()

    # Interleaved, so that a change in the machine's load hits all alike.
    results: dict[str, float] = {}
    lint()  # the first run over the tree (the cache of a previous commit)
    for _ in range(repeat):
        for name, before in (
            ("cold", cold),
            ("warm", warm),
            ("uncached", uncached),
            ("alone", alone),
        ):
            results[name] = min(results.get(name, float("inf")), best(lint, 1, before))
    project.configure()
    if edit is not None:
        edit.write_text(original)
    return results


def cli_seconds(path: Path, repeat: int) -> float:
    """Best wall time of ``python -m kerasrnnlint PATH`` (what a pre-commit hook runs)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "kerasrnnlint", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        base = Path(directory)
        linked_root = base / "linked"
        models = generate(linked_root, args.modules, linked=True)
        full = measure(linked_root, [linked_root], args.repeat)
        one = measure(linked_root, [models[0]], args.repeat * 3, edit=models[0])
        # The same file where it has no project around it: nothing to follow.
        lone = base / "lone" / models[0].name
        lone.parent.mkdir()
        shutil.copy(models[0], lone)
        cli_project = cli_seconds(models[0], args.repeat * 2)
        cli_alone = cli_seconds(lone, args.repeat * 2)
        single_root = base / "single"
        generate(single_root, args.modules, linked=False)
        single = measure(single_root, [single_root], args.repeat)

    def line(label: str, value: float, peer: float) -> None:
        print(f"{label:<52} {value * 1000:8.1f} ms  {peer * 1000:8.1f} ms  {value / peer:6.2f}x")

    print(f"{args.modules} modules, {len(models)} with recurrent layers; best of {args.repeat}")
    print(f"{'':<52} {'project':>11}  {'alone':>11}  {'ratio':>7}")
    line("full lint, cold cache", full["cold"], full["alone"])
    line("full lint, warm cache (results cached)", full["warm"], full["alone"])
    line("full lint, --no-cache", full["uncached"], full["alone"])
    line("one changed file, warm cache (target <= 1.5)", one["warm"], one["alone"])
    line("one changed file, --no-cache", one["uncached"], one["alone"])
    line("one changed file, warm, CLI (target <= 1.5)", cli_project, cli_alone)
    line("single-module project, --no-cache (target <= 1.05)", single["uncached"], single["alone"])
    line("single-module project, cold cache", single["cold"], single["alone"])
    line("single-module project, warm (results cached)", single["warm"], single["alone"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
