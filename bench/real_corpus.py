"""Build the real-code benchmark corpus from pinned packages on PyPI, so that anyone can rebuild it.

``python bench/real_corpus.py [--root DIR] [--cache DIR] [--quiet]`` downloads each package of
:data:`PACKAGES` with ``pip download --no-deps`` (the pinned version, a wheel unless the package
publishes only an sdist) into the cache directory (default ``bench/corpus/pypi/``, gitignored),
unpacks only its ``.py`` files into ``DIR/NAME-VERSION/`` (default ``bench/corpus/real/``), writes
a manifest beside it (``bench/corpus/real-manifest.json``: versions, archives and their SHA-256,
file, line and Keras counts) and prints it. A second run reuses both the archives and the unpacked
tree (a package is unpacked again only when its entry changed or its tree is incomplete).

Two kinds of packages: those whose sources hold Keras recurrent models or layers (Keras-based
NLP, time series, RL and AutoML libraries, the Keras add-on layers) and ordinary, widely used Python
(web frameworks, CLIs, tooling), in such numbers that about 15% of the files mention Keras.
Packages far larger than their recurrent content are cut to the directories that hold it
(``include``); files under directory names that one of the compared linters skips by default
(``build``, ``dist``, ``venv``...) are left out, so that every tool sees the same files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import TextIO

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "corpus" / "real"
DEFAULT_CACHE = HERE / "corpus" / "pypi"
MANIFEST_NAME = "real-manifest.json"  # beside the root, not in it: no linter walks into it

# A real module of about 800 lines for the language server's benchmark (relative to the root):
# 787 lines, 16 recurrent cells (SimpleRNNCell inside keras.layers.RNN and LMU cells), findings.
LSP_MODULE = "keras-lmu-0.9.0/keras_lmu/tests/test_layers.py"

# A file "mentions Keras" when this occurs in its bytes (prose, imports, attribute chains).
KERAS_WORD = re.compile(rb"keras", re.IGNORECASE)

# Directory names that flake8, ruff or kerasrnnlint skip by default in a directory walk; files
# below one are not unpacked, so that the three tools lint the same files.
SKIPPED_DIRS = frozenset(
    {
        ".bzr", ".direnv", ".eggs", ".env", ".git", ".hg", ".ipynb_checkpoints", ".mypy_cache",
        ".nox", ".pants.d", ".pytest_cache", ".pytype", ".ruff_cache", ".svn", ".tox", ".venv",
        ".vscode", "CVS", "__pycache__", "__pypackages__", "_build", "buck-out", "build", "dist",
        "env", "node_modules", "site-packages", "venv",
    }
)  # fmt: skip

# tensorflow-addons publishes only platform wheels; its .py files are the same on every platform.
LINUX_CP311 = (
    "--platform",
    "manylinux2014_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
    "--abi",
    "cp311",
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    keras: bool  # chosen because its sources hold Keras recurrent models or layers
    sdist: bool = False  # the package publishes no wheel
    include: tuple[str, ...] = ()  # path prefixes inside the archive to keep (empty: all)
    pip_args: tuple[str, ...] = ()
    why: str = ""

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


PACKAGES: tuple[Package, ...] = (
    # Keras recurrent models and layers.
    Package("kashgari", "2.0.2", True, why="BiLSTM/BiGRU(-CRF) NLP models"),
    Package("keras-tcn", "3.5.7", True, why="temporal convolutional networks"),
    Package("keras-rl2", "1.0.5", True, why="RL agents, recurrent policies in docs"),
    Package(
        "keras-tuner",
        "1.4.8",
        True,
        include=(
            "keras_tuner/src/applications/",
            "keras_tuner/src/engine/",
            "keras_tuner/src/tuners/",
        ),
        why="hyperparameter search over Keras models (the hypermodels, engine and tuners)",
    ),
    Package("autokeras", "3.0.0", True, why="RNNBlock builds LSTM/GRU stacks"),
    Package(
        "tensorflow-addons",
        "0.23.0",
        True,
        pip_args=LINUX_CP311,
        why="seq2seq, recurrent cells (LayerNormLSTMCell, NASCell, ESN)",
    ),
    Package(
        "tf-keras",
        "2.21.0",
        True,
        include=("tf_keras/src/layers/rnn/", "tf_keras/src/tests/"),
        why="the LSTM/GRU/SimpleRNN layers themselves and the test model architectures "
        "(the rest: 550 Keras files with no recurrent layer)",
    ),
    Package(
        "keras-hub",
        "0.32.0",
        True,
        include=("keras_hub/src/models/rwkv7/",),
        why="the RWKV-7 recurrent model (the rest: 790 Keras transformer files, 4 mention RNNs)",
    ),
    Package("deepctr", "0.9.4", True, why="CTR models with LSTM/GRU interest layers"),
    Package("anago", "1.0.8", True, why="BiLSTM-CRF sequence tagging"),
    Package("textgenrnn", "2.0.0", True, sdist=True, why="LSTM text generation"),
    Package("keras-self-attention", "0.51.0", True, sdist=True, why="attention over LSTMs"),
    Package("keras-ordered-neurons", "0.10.0", True, sdist=True, why="ON-LSTM"),
    Package("keras-lmu", "0.9.0", True, why="Legendre Memory Unit RNN cells, LSTM baselines"),
    Package("ncps", "1.0.1", True, why="liquid time-constant / CfC recurrent cells"),
    Package("qkeras", "0.9.0", True, why="quantized QLSTM/QGRU/QSimpleRNN"),
    Package("keras-spiking", "0.3.0", True, why="spiking RNN cells"),
    Package("keras-ocr", "0.9.3", True, why="CRNN recognizer with bidirectional LSTMs"),
    Package(
        "ktrain",
        "0.41.4",
        True,
        sdist=True,
        include=("ktrain/text/", "ktrain/imports.py"),
        why="text classifiers with GRU/LSTM (the rest: vision, tabular, graph); imports.py is "
        "where ktrain.text's star import gets keras from",
    ),
    Package(
        "tf2onnx",
        "1.17.0",
        True,
        include=(
            "tests/keras2onnx_applications/",
            "tests/keras2onnx_unit_tests/",
            "tests/test_lstm.py",
            "tests/test_gru.py",
            "tests/test_stacked_lstm.py",
            "tests/common.py",
            "tf2onnx/rewriter/",
        ),
        why="Keras application models (seq2seq, LSTM-CRF...) converted in its tests, and "
        "its LSTM/GRU rewriters (the rest: the ONNX converter)",
    ),
    # Ordinary Python.
    Package("django", "5.2.19", False),
    Package("flask", "3.1.3", False),
    Package("werkzeug", "3.1.9", False),
    Package("jinja2", "3.1.6", False),
    Package("click", "8.5.1", False),
    Package("requests", "2.34.2", False),
    Package("httpx", "0.28.1", False),
    Package("starlette", "1.10.0", False),
    Package("fastapi", "0.165.0", False),
    Package("attrs", "26.1.0", False),
    Package("marshmallow", "4.4.0", False),
    Package("pydantic", "2.14.4", False),
    Package("rich", "15.0.0", False),
    Package("pytest", "9.2.0", False),
    Package("docutils", "0.23", False),
    Package("sphinx", "9.0.4", False),
    Package("pylint", "4.1.4", False),
    Package("astroid", "4.3.4", False),
    Package("scrapy", "2.19.0", False),
    Package("celery", "5.7.0", False),
    Package("ipython", "9.18.1", False),
    Package("setuptools", "84.2.1", False),
)


@dataclass(frozen=True)
class Entry:
    """One package's line in the manifest."""

    name: str
    version: str
    keras: bool
    archive: str
    sha256: str
    include: tuple[str, ...]
    files: int
    lines: int
    keras_files: int  # files that mention Keras
    prefiltered: int  # files that pass kerasrnnlint's prefilter (what it parses)
    skipped: int  # .py files left out: under a directory a linter skips by default


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def archive_name_version(filename: str) -> tuple[str, str] | None:
    """(normalized name, version) of a wheel or sdist file name, None for anything else."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        return (normalized(parts[0]), parts[1]) if len(parts) >= 5 else None
    for ending in (".tar.gz", ".zip"):
        if filename.endswith(ending):
            name, _, version = filename[: -len(ending)].rpartition("-")
            return (normalized(name), version) if name else None
    return None


def find_archive(cache: Path, package: Package) -> Path | None:
    """The cached wheel or sdist of exactly this version, if there is one."""
    wanted = (normalized(package.name), package.version)
    for path in sorted(cache.iterdir()) if cache.is_dir() else ():
        if archive_name_version(path.name) == wanted:
            return path
    return None


def download(cache: Path, package: Package) -> Path:
    """The package's archive in ``cache``, downloaded with pip unless already there."""
    found = find_archive(cache, package)
    if found is not None:
        return found
    cache.mkdir(parents=True, exist_ok=True)
    kind = ("--no-binary", ":all:") if package.sdist else ("--only-binary", ":all:")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        *kind,
        *package.pip_args,
        "--dest",
        str(cache),
        f"{package.name}=={package.version}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True)
    found = find_archive(cache, package)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"{package.key}: pip download failed:\n{proc.stderr.strip()[-2000:]}")
    return found


def python_members(archive: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """The ``.py`` files of a wheel or sdist: (path inside the archive, bytes)."""
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                if not info.is_dir() and info.filename.endswith(".py"):
                    yield PurePosixPath(info.filename), zipped.read(info)
        return
    with tarfile.open(archive) as tarred:
        for member in tarred.getmembers():
            if member.isfile() and member.name.endswith(".py"):
                handle = tarred.extractfile(member)
                if handle is not None:
                    # An sdist's paths start with NAME-VERSION/: drop that.
                    parts = PurePosixPath(member.name).parts[1:]
                    if parts:
                        yield PurePosixPath(*parts), handle.read()


def safe(path: PurePosixPath) -> bool:
    return not path.is_absolute() and ".." not in path.parts and path.parts != ()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prefilter(data: bytes) -> bool:
    """kerasrnnlint's own prefilter (imported, not copied, so the count stays true)."""
    from kerasrnnlint.engine import may_hold_recurrent_layer

    return may_hold_recurrent_layer(data)


def unpack(archive: Path, package: Package, root: Path) -> Entry:
    """Write the package's kept ``.py`` files under ``root/NAME-VERSION/`` (replacing it)."""
    target = root / package.key
    staging = root / f".{package.key}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    files = lines = keras_files = prefiltered = skipped = 0
    for inner, data in python_members(archive):
        text = inner.as_posix()
        if package.include and not text.startswith(package.include):
            continue
        if not safe(inner):
            continue
        if any(part in SKIPPED_DIRS or part.endswith(".egg") for part in inner.parts[:-1]):
            skipped += 1
            continue
        out = staging / inner
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        files += 1
        lines += data.count(b"\n")
        keras_files += KERAS_WORD.search(data) is not None
        prefiltered += prefilter(data)
    entry = Entry(
        name=package.name,
        version=package.version,
        keras=package.keras,
        archive=archive.name,
        sha256=sha256(archive),
        include=package.include,
        files=files,
        lines=lines,
        keras_files=keras_files,
        prefiltered=prefiltered,
        skipped=skipped,
    )
    staging.mkdir(parents=True, exist_ok=True)
    (staging / ".entry.json").write_text(json.dumps(asdict(entry), sort_keys=True) + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)  # the tree appears whole or not at all
    return entry


def cached_entry(package: Package, archive: Path, root: Path) -> Entry | None:
    """The entry of an already unpacked, complete tree of this very archive, if any."""
    marker = root / package.key / ".entry.json"
    try:
        data = json.loads(marker.read_text())
        entry = Entry(**{**data, "include": tuple(data["include"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if entry.archive != archive.name or entry.include != package.include:
        return None
    return entry


def build(
    root: Path = DEFAULT_ROOT,
    cache: Path = DEFAULT_CACHE,
    packages: tuple[Package, ...] = PACKAGES,
    log: TextIO | None = None,
) -> list[Entry]:
    """Download and unpack every package (reusing what is there); write and return the manifest.

    Trees of packages no longer listed are removed, so the corpus is exactly the list.
    """
    root.mkdir(parents=True, exist_ok=True)
    entries = []
    for package in packages:
        archive = download(cache, package)
        entry = cached_entry(package, archive, root)
        if entry is None:
            if log is not None:
                print(f"unpacking {archive.name}", file=log)
            entry = unpack(archive, package, root)
        entries.append(entry)
    wanted = {p.key for p in packages}
    for child in root.iterdir():
        if child.is_dir() and child.name not in wanted:
            shutil.rmtree(child)
    manifest = {
        "packages": [asdict(e) for e in entries],
        "totals": totals(entries),
    }
    (root.parent / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n")
    return entries


def totals(entries: list[Entry]) -> dict[str, float]:
    files = sum(e.files for e in entries)
    keras_files = sum(e.keras_files for e in entries)
    return {
        "packages": len(entries),
        "files": files,
        "lines": sum(e.lines for e in entries),
        "keras_files": keras_files,
        "keras_share": round(keras_files / files, 3) if files else 0.0,
        "prefiltered": sum(e.prefiltered for e in entries),
    }


def render(entries: list[Entry]) -> str:
    rows = [f"{'package':<34}{'files':>7}{'lines':>9}{'keras':>7}{'parsed':>8}  kind"]
    for e in entries:
        kind = "keras" if e.keras else "ordinary"
        if e.include:
            kind += " (only " + ", ".join(e.include) + ")"
        rows.append(
            f"{e.name + ' ' + e.version:<34}{e.files:>7}{e.lines:>9}{e.keras_files:>7}"
            f"{e.prefiltered:>8}  {kind}"
        )
    t = totals(entries)
    rows.append(
        f"{'total':<34}{t['files']:>7}{t['lines']:>9}{t['keras_files']:>7}{t['prefiltered']:>8}"
        f"  {t['keras_share']:.1%} of the files mention Keras"
    )
    rows.append("(keras: files that mention Keras; parsed: files that pass the prefilter)")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=str(DEFAULT_ROOT), help="where the .py files go")
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="where the archives go")
    parser.add_argument("--quiet", action="store_true", help="do not print the manifest")
    args = parser.parse_args()
    root = Path(args.root)
    entries = build(root, Path(args.cache), log=None if args.quiet else sys.stderr)
    if not args.quiet:
        print(render(entries))
        print(f"corpus: {root}; manifest: {root.parent / MANIFEST_NAME}")
        print(f"~800-line module for the language server benchmark: {root / LSP_MODULE}")


if __name__ == "__main__":
    main()
