"""Hostile inputs through the real command line: FIFOs, configs that cost too much, odd
encodings, values beyond a float. None may hang the run, kill it or lose the other files'
findings; each gets a message (an error when named, a note when found in a walk)."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint import discovery, runner
from kerasrnnlint.config import Settings

RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(64, activation="relu")\n'


def layer(cls: str, name: str, **config: object) -> dict[str, object]:
    return {"module": "keras.layers", "class_name": cls, "config": {"name": name, **config}}


def sequential(*layers: dict[str, object], **extra: object) -> dict[str, object]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {"layers": list(layers)},
        **extra,
    }


RELU_LSTM = layer("LSTM", "lstm", units=8, activation="relu")
INPUT = layer("InputLayer", "in", batch_shape=[None, 10, 3])


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(RISKY, encoding="utf-8")
    return tmp_path


def good_still_reported(proc: object) -> None:
    assert "good.py:3:" in proc.stdout, proc.stdout + proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in proc.stdout + proc.stderr  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------------
# FIFOs never block
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["model.json", "model.h5", "weights.hdf5", "nb.ipynb"])
def test_fifo_named_like_a_model_in_a_walk_does_not_block(project: Path, name: str) -> None:
    os.mkfifo(project / name)
    proc = run_cli(".", cwd=project, timeout=60)
    good_still_reported(proc)
    assert f"{name}: error: not a regular file" in proc.stderr, proc.stderr


@pytest.mark.parametrize("name", ["model.json", "model.keras", "model.h5", "nb.ipynb", "m.py"])
def test_file_swapped_for_a_fifo_after_discovery_is_refused_not_waited_on(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(sequential(RELU_LSTM)), encoding="utf-8")
    targets = discovery.discover([str(path)], Settings())
    path.unlink()
    os.mkfifo(path)
    # The real runner, as the CLI calls it; a blocking open would never return.
    (result,) = runner.lint_targets(targets, Settings(), jobs=1)
    assert result.error is not None and "not a regular file (a FIFO)" in result.error, result


# --------------------------------------------------------------------------------------------------
# Cost is bounded
# --------------------------------------------------------------------------------------------------


def test_sequential_model_with_many_layers_is_linted_in_linear_time(project: Path) -> None:
    # 12,000 layers took more than 10 minutes (each layer walked back over all earlier ones).
    layers = [INPUT] + [
        layer("LSTM" if i % 2 else "Dense", f"l{i}", units=4, activation="relu")
        for i in range(12_000)
    ]
    (project / "deep.json").write_text(json.dumps(sequential(*layers)), encoding="utf-8")
    proc = run_cli("deep.json", "good.py", "--select", "KRL001", "-q", cwd=project, timeout=90)
    assert proc.stdout.count("deep.json › ") == 6_000, proc.stdout[-500:]
    good_still_reported(proc)


def test_config_of_millions_of_objects_is_refused_before_it_is_parsed(project: Path) -> None:
    # 49 KB on disk, 48 MB of `{},` once inflated: 16 million dicts, gigabytes of memory.
    with zipfile.ZipFile(project / "bomb.keras", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("config.json", "[" + "{}," * 16_000_000 + "{}]")
    proc = run_cli(".", cwd=project, timeout=60)
    good_still_reported(proc)
    assert "bomb.keras: error: config.json: model configuration with more than" in proc.stderr
    assert proc.returncode == 2


def test_notebook_of_millions_of_json_objects_is_refused_before_it_is_parsed(
    project: Path,
) -> None:
    cell = {"cell_type": "code", "source": RISKY, "metadata": {}, "outputs": [{}] * 6_000_000}
    (project / "crowd.ipynb").write_text(json.dumps({"cells": [cell], "metadata": {}}))
    proc = run_cli(".", cwd=project, timeout=60)
    good_still_reported(proc)
    assert "crowd.ipynb: error: not read: more than 5,000,000 JSON objects" in proc.stderr


def test_notebook_code_is_held_to_the_source_size_limit(project: Path) -> None:
    # 1.5 MB of code cells took 22 s and 2.2 GB; 3 MB aborted the process in libcst.
    cell = "from keras.layers import LSTM\n" + "x = 1\n" * 260_000
    notebook = {
        "cells": [{"cell_type": "code", "source": cell, "metadata": {}, "outputs": []}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (project / "big.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    proc = run_cli(".", cwd=project, timeout=60)
    good_still_reported(proc)
    assert "big.ipynb: error: file too large to analyse (1.6 MB of code" in proc.stderr


# --------------------------------------------------------------------------------------------------
# Values that raised
# --------------------------------------------------------------------------------------------------


def test_integers_too_large_for_a_float_are_not_an_internal_error(project: Path) -> None:
    huge = 10**400
    model = sequential(
        INPUT,
        layer("LSTM", "lstm", units=huge, activation="relu", recurrent_dropout=0.5),
        compile_config={"optimizer": {"class_name": "Adam", "config": {"learning_rate": huge}}},
    )
    (project / "m.json").write_text(json.dumps(model), encoding="utf-8")
    proc = run_cli(".", cwd=project)
    good_still_reported(proc)
    assert "internal error" not in proc.stdout
    assert "m.json › lstm: KRL001" in proc.stdout, proc.stdout


def test_integers_too_large_for_a_float_in_source_are_not_an_internal_error(
    project: Path,
) -> None:
    huge = 10**400
    (project / "m.py").write_text(
        "from keras.layers import LSTM\nfrom keras.models import Sequential\n"
        "from keras.optimizers import Adam\n"
        f"m = Sequential([LSTM({huge}, activation='relu', recurrent_dropout=0.5)])\n"
        f"m.compile(optimizer=Adam(learning_rate={huge}, clipnorm={huge}))\n",
        encoding="utf-8",
    )
    proc = run_cli(".", cwd=project)
    good_still_reported(proc)
    assert "internal error" not in proc.stdout
    assert "m.py:4:" in proc.stdout, proc.stdout


def test_h5_attributes_that_are_arrays_are_an_input_error(project: Path) -> None:
    h5py = pytest.importorskip("h5py")
    import numpy as np

    text = json.dumps(sequential(RELU_LSTM))
    with h5py.File(project / "arr.h5", "w") as handle:
        handle.attrs["model_config"] = np.array([text, text], dtype=h5py.string_dtype())
    proc = run_cli(".", cwd=project)
    good_still_reported(proc)
    assert "arr.h5: error: model_config attribute is an array (shape (2,))" in proc.stderr


# --------------------------------------------------------------------------------------------------
# Skipped in a walk: with a word
# --------------------------------------------------------------------------------------------------


def test_utf16_notebook_in_a_walk_is_skipped_with_a_note(project: Path) -> None:
    cell = {"cell_type": "code", "source": RISKY, "metadata": {}, "outputs": []}
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (project / "wide.ipynb").write_bytes(text.encode("utf-16"))
    proc = run_cli(".", cwd=project)
    good_still_reported(proc)
    assert "wide.ipynb: note: not checked: not a valid notebook: UTF-16 text" in proc.stderr
    named = run_cli("wide.ipynb", cwd=project)
    assert "wide.ipynb: error: not a valid notebook: UTF-16 text" in named.stderr
    assert named.returncode == 2


def test_model_json_over_the_walk_sniff_limit_is_skipped_with_a_note(project: Path) -> None:
    padding = [layer("Dense", f"d{i}", units=4, padding="x" * 200) for i in range(40_000)]
    (project / "large.json").write_text(
        json.dumps(sequential(RELU_LSTM, *padding)), encoding="utf-8"
    )
    assert 8 * 1024 * 1024 < (project / "large.json").stat().st_size < 50 * 1024 * 1024
    (project / "data.json").write_text(json.dumps({"rows": ["x" * 100] * 100_000}))
    proc = run_cli(".", cwd=project)
    good_still_reported(proc)
    assert "large.json: note: not checked: may be a Keras model config" in proc.stderr
    assert "data.json" not in proc.stdout  # other JSON stays quiet
    named = run_cli("large.json", "--select", "KRL001", cwd=project)
    assert "large.json › lstm: KRL001" in named.stdout


def test_unreadable_json_in_a_walk_is_skipped_with_a_note(project: Path) -> None:
    from test_cli_inputs import drop_file_read_override

    path = project / "secret.json"
    path.write_text(json.dumps(sequential(RELU_LSTM)), encoding="utf-8")
    path.chmod(0)
    if os.geteuid() == 0 and not sys.platform.startswith("linux"):
        pytest.skip("root reads every file here")
    preexec = drop_file_read_override if os.geteuid() == 0 else None
    proc = run_cli(".", cwd=project, preexec_fn=preexec)
    good_still_reported(proc)
    assert "secret.json: note: not checked: cannot read: permission denied" in proc.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="inputs are isolated where fork exists")
def test_native_crash_of_the_parser_on_one_file_does_not_kill_the_run(project: Path) -> None:
    import resource

    # Just under the 1 MB source limit; under a 450 MB address-space cap libcst's native parser
    # aborts the process it runs in (as it did the whole run, every other finding lost).
    body = "from keras.layers import LSTM\n" + "".join(
        f"layer_{i} = LSTM({i + 1}, activation='relu', name='l{i}')\n" for i in range(17_000)
    )
    (project / "huge.py").write_text(body, encoding="utf-8")
    cap = 450 * 1024 * 1024

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    proc = run_cli(".", "--select", "KRL001", cwd=project, preexec_fn=limit, timeout=300)
    good_still_reported(proc)
    assert "huge.py: error: the analysis crashed (SIGABRT" in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="inputs are isolated where fork exists")
def test_worker_killed_by_a_native_crash_does_not_take_the_run_with_it(project: Path) -> None:
    import resource

    # 70 small files make a process pool; under a 170 MB address-space cap, parsing the 240 KB
    # file (below the isolation threshold) aborts the worker. The rest of the run was then
    # finished in the run's own process, which aborted on the same file.
    for index in range(70):
        (project / f"s{index:02}.py").write_text(RISKY, encoding="utf-8")
    body = "from keras.layers import LSTM\n" + "".join(
        f"layer_{i} = LSTM({i + 1}, activation='relu', name='l{i}')\n" for i in range(4_300)
    )
    (project / "mid.py").write_text(body, encoding="utf-8")
    cap = 170 * 1024 * 1024

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    proc = run_cli(
        ".",
        "-j",
        "2",
        "--select",
        "KRL001",
        "--no-show-source",
        "-q",
        cwd=project,
        preexec_fn=limit,
        timeout=300,
    )
    if proc.returncode == 1 and "mid.py:" in proc.stdout:
        pytest.skip("this machine's memory layout lets the parse succeed under the cap")
    assert "mid.py: error: the analysis crashed" in proc.stderr, proc.stderr[-1000:]
    assert proc.stdout.count("KRL001") == 71, proc.stdout[-1000:]  # every small file, and good.py
    assert proc.returncode == 2
