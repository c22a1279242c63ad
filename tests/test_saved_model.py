"""Saved models: `.keras`, `.h5` and JSON files built by real Keras are linted like their source.

The models are defined in ``fixtures/models/models.py`` (a lintable fixture with inline
expectations); ``fixtures/models/make_models.py`` saves them. The module fixture builds every
model in every format once with real TensorFlow; the tests compare the findings of each file with
the findings of the source function that built it, as (code, layer class, severity).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from helpers import (
    MODELS_DIR,
    ROOT,
    Key,
    keys,
    load_make_models,
    run_cli,
    source_findings,
)

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layers
from kerasrnnlint.findings import Finding
from kerasrnnlint.frontends import saved_model
from kerasrnnlint.frontends.base import InputError

FORMATS = (".keras", ".h5", ".json")
# Models compiled in their builder: a `.json` (model.to_json()) holds no optimizer, so only
# (code, class) are compared for those; the severity may use the optimizer.
COMPILED = {"classic", "conv_feeds_lstm", "clean"}


def lint_model_file(path: Path) -> list[Finding]:
    return check_layers(saved_model.analyze_file(path).layers, Settings())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every model of models.py in every format, built and saved by real Keras."""
    out = tmp_path_factory.mktemp("models")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    assert load_make_models().main(["--out", str(out), "--all"]) == 0
    return out


@pytest.fixture(scope="module")
def expected() -> dict[str, Counter[Key]]:
    return source_findings()


def test_the_source_has_findings_for_most_models(expected: dict[str, Counter[Key]]) -> None:
    assert expected["clean"] == Counter()
    assert sum(1 for found in expected.values() if found) >= 6


MODEL_NAMES = ("classic", "conv_feeds_lstm", "bidirectional_gru", "rnn_cells")
MODEL_NAMES += ("subclassed_inside", "nested_encoder", "merge_branches", "shared_layer", "clean")


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_saved_file_gives_the_source_findings(
    built: Path, expected: dict[str, Counter[Key]], name: str, suffix: str
) -> None:
    got = keys(lint_model_file(built / f"{name}{suffix}"))
    want = expected[name]
    if suffix == ".json" and name in COMPILED:
        got = Counter({(c, cls, "*"): n for (c, cls, _), n in got.items()})
        want = Counter({(c, cls, "*"): n for (c, cls, _), n in want.items()})
    assert got == want


COMMITTED = sorted(p for p in MODELS_DIR.iterdir() if p.suffix in FORMATS)


@pytest.mark.parametrize("path", COMMITTED, ids=[p.name for p in COMMITTED])
def test_committed_model_files_match_their_source(
    path: Path, expected: dict[str, Counter[Key]]
) -> None:
    """Includes tf.keras 2 files (``keras2_*``: Keras 2 inbound_nodes, batch_input_shape,
    ``Custom>Nadam``), made by ``make_models.py --keras2``."""
    name = path.stem.removeprefix("keras2_")
    got = keys(lint_model_file(path))
    want = expected[name]
    if path.suffix == ".json" and name in COMPILED:
        got = Counter({(c, cls, "*"): n for (c, cls, _), n in got.items()})
        want = Counter({(c, cls, "*"): n for (c, cls, _), n in want.items()})
    assert got == want


def test_committed_files_cover_both_keras_generations() -> None:
    names = {p.name for p in COMMITTED}
    assert {"classic.keras", "classic.h5", "classic.json"} <= names
    assert {"keras2_classic.h5", "keras2_classic.json", "keras2_nested_encoder.h5"} <= names
    assert all(p.stat().st_size < 64_000 for p in COMMITTED)


def test_layer_path_locates_a_layer_in_a_nested_model(built: Path) -> None:
    path = built / "nested_encoder.keras"
    findings = lint_model_file(path)
    krl001 = next(f for f in findings if f.code == "KRL001")
    assert krl001.location.layer_path == ("encoder", "bidirectional", "forward_lstm")
    assert krl001.location.display() == f"{path} › encoder › bidirectional › forward_lstm"
    data = krl001.to_json()
    assert data["layer_path"] == ["encoder", "bidirectional", "forward_lstm"]
    assert data["filename"] == str(path) and data["location"] is None
    krl004 = next(f for f in findings if f.code == "KRL004")
    assert "`dense`" in krl004.message  # the producer, found inside the nested Sequential


def test_keras2_layer_path_uses_the_keras2_names() -> None:
    findings = lint_model_file(MODELS_DIR / "keras2_nested_encoder.h5")
    assert {f.location.layer_path for f in findings} == {("encoder", "bidirectional", "lstm")}


@pytest.mark.parametrize("suffix", (".keras", ".h5"))
def test_context_comes_from_the_saved_config(built: Path, suffix: str) -> None:
    (layer,) = saved_model.analyze_file(built / f"classic{suffix}").layers
    assert (layer.cls, layer.context.timesteps, layer.context.features) == ("LSTM", 64, 16)
    optimizer = layer.context.optimizer
    assert optimizer is not None
    assert (optimizer.cls, optimizer.learning_rate, optimizer.clipnorm) == ("Nadam", 4e-4, 1.0)
    assert layer.arg("activation").value == "relu"
    assert layer.arg("activation").origin == "saved config"
    assert layer.arg("recurrent_dropout").value == 0.3

    (lstm,) = saved_model.analyze_file(built / f"conv_feeds_lstm{suffix}").layers
    producer = lstm.context.producer
    assert producer is not None  # looked through the Dropout to the Conv1D
    assert (producer.cls, producer.kind, producer.activation) == ("Conv1D", "unbounded", "relu")
    assert producer.location is not None and producer.location.layer_path == ("conv1d",)
    optimizer = lstm.context.optimizer
    assert optimizer is not None
    assert (optimizer.cls, optimizer.learning_rate, optimizer.clipvalue) == ("SGD", 0.05, 0.5)


def test_keras2_training_config_gives_the_optimizer() -> None:
    (layer,) = saved_model.analyze_file(MODELS_DIR / "keras2_classic.h5").layers
    optimizer = layer.context.optimizer
    assert optimizer is not None  # saved as "Custom>Nadam", learning rate as float32
    assert (optimizer.cls, optimizer.learning_rate, optimizer.clipnorm) == ("Nadam", 4e-4, 1.0)
    assert (layer.context.timesteps, layer.context.features) == (64, 16)


def test_json_has_no_optimizer_but_the_same_layers(built: Path) -> None:
    (layer,) = saved_model.analyze_file(built / "classic.json").layers
    assert layer.context.optimizer is None
    assert (layer.context.timesteps, layer.context.features) == (64, 16)


def test_custom_layer_is_an_unknown_producer_and_a_note(built: Path) -> None:
    result = saved_model.analyze_file(built / "subclassed_inside.keras")
    (layer,) = result.layers
    producer = layer.context.producer
    assert producer is not None and (producer.cls, producer.kind) == ("Scale", "unknown")
    assert any("custom class `Scale`" in note for note in result.notes)


def test_custom_activation_is_unknown_not_guessed(built: Path, tmp_path: Path) -> None:
    import keras

    def my_act(x: object) -> object:
        return keras.ops.relu(x)

    model = keras.Sequential(
        [
            keras.Input((8, 2)),
            keras.layers.LSTM(4, activation=my_act, return_sequences=True),
            keras.layers.GRU(4, activation="relu"),
        ]
    )
    model.save(tmp_path / "custom.keras")
    result = saved_model.analyze_file(tmp_path / "custom.keras")
    lstm, _gru = result.layers
    assert not lstm.arg("activation").known
    assert lstm.arg("activation").origin == "custom activation `my_act`"
    findings = check_layers(result.layers, Settings())
    assert {(f.code, f.layer) for f in findings if f.code == "KRL001"} == {("KRL001", "GRU")}


# --------------------------------------------------------------------------------------------------
# The command line: no TensorFlow, bad inputs, mixed directories
# --------------------------------------------------------------------------------------------------


def imported_modules(stderr: str) -> set[str]:
    return {
        line.rsplit("|", 1)[-1].strip()
        for line in stderr.splitlines()
        if line.startswith("import time:")
    }


def test_cli_lints_model_files_without_importing_tensorflow() -> None:
    run = run_cli(
        "--output-format",
        "json",
        "fixtures/models/classic.keras",
        "fixtures/models/classic.h5",
        "fixtures/models/keras2_nested_encoder.json",
        cwd=ROOT,
        importtime=True,
    )
    modules = imported_modules(run.stderr)
    assert "h5py" in modules  # the .h5 was read...
    assert not {m for m in modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras")}
    assert run.returncode == 1
    data = json.loads(run.stdout)
    findings = data if isinstance(data, list) else data["findings"]
    paths = {(f["filename"], tuple(f.get("layer_path", ()))) for f in findings}
    assert ("fixtures/models/classic.keras", ("lstm",)) in paths
    assert (
        "fixtures/models/keras2_nested_encoder.json",
        ("encoder", "bidirectional", "lstm"),
    ) in paths


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_bad_inputs(tmp: Path) -> dict[str, str]:
    """Bad model files, each with the words its error message must contain."""
    import h5py

    good = (MODELS_DIR / "classic.keras").read_bytes()
    (tmp / "truncated.keras").write_bytes(good[: len(good) // 2])
    (tmp / "garbage.keras").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    make_zip(tmp / "no_config.keras", {"metadata.json": b"{}", "model.weights.h5": b""})
    make_zip(tmp / "not_a_model.keras", {"config.json": b'{"name": "x", "layers": 3}'})
    make_zip(tmp / "bad_json.keras", {"config.json": b'{"class_name": "Sequential", '})
    big = b'{"class_name": "Sequential", "config": {"layers": []}}' + b" " * (51 * 1024 * 1024)
    make_zip(tmp / "bomb.keras", {"config.json": big})
    (tmp / "python.keras").write_text("import keras\nmodel = keras.Sequential()\n")
    (tmp / "empty.keras").write_bytes(b"")
    encrypted = bytearray(make_zip(tmp / "encrypted.keras", {"config.json": b"{}"}).read_bytes())
    central = encrypted.find(b"PK\x01\x02")
    encrypted[6] |= 1  # the "encrypted" flag, in the local and the central header
    encrypted[central + 8] |= 1
    (tmp / "encrypted.keras").write_bytes(bytes(encrypted))
    with h5py.File(tmp / "weights_only.h5", "w") as handle:
        handle.create_dataset("kernel", data=[1.0, 2.0])
    (tmp / "garbage.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x01" * 100)
    (tmp / "array.json").write_text("[1, 2, 3]")
    (tmp / "number.json").write_text("42")
    (tmp / "not_a_model.json").write_text('{"name": "my-package", "version": "1.0"}')
    (tmp / "python.json").write_text("import keras\n\ndef f():\n    pass\n")
    (tmp / "model_zip.py").write_bytes(good)
    (tmp / "model_h5.py").write_bytes((MODELS_DIR / "classic.h5").read_bytes())
    return {
        "truncated.keras": "zip",
        "garbage.keras": "zip",
        "no_config.keras": "without config.json",
        "not_a_model.keras": "not a Keras model configuration",
        "bad_json.keras": "not valid JSON",
        "bomb.keras": "limit",
        "python.keras": "Python source",
        "empty.keras": "empty",
        "encrypted.keras": "encrypted",
        "weights_only.h5": "model_config",
        "garbage.h5": "HDF5",
        "array.json": "array",
        "number.json": "int",
        "not_a_model.json": "not a Keras model configuration",
        "python.json": "Python source",
        "model_zip.py": "not Python source: the file is a Keras zip archive",
        "model_h5.py": "not Python source: the file is an HDF5 model file",
    }


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("bad")
    return tmp, make_bad_inputs(tmp)


@pytest.mark.parametrize(
    "name",
    [
        "truncated.keras",
        "garbage.keras",
        "no_config.keras",
        "not_a_model.keras",
        "bad_json.keras",
        "bomb.keras",
        "python.keras",
        "empty.keras",
        "encrypted.keras",
        "weights_only.h5",
        "garbage.h5",
        "array.json",
        "number.json",
        "not_a_model.json",
        "python.json",
    ],
)
def test_bad_model_file_is_an_input_error_with_its_cause(
    bad_inputs: tuple[Path, dict[str, str]], name: str
) -> None:
    tmp, causes = bad_inputs
    with pytest.raises(InputError) as info:
        saved_model.analyze_file(tmp / name)
    assert causes[name] in info.value.message


def test_cli_reports_every_bad_input_and_still_checks_the_good_one(
    bad_inputs: tuple[Path, dict[str, str]],
) -> None:
    tmp, causes = bad_inputs
    good = MODELS_DIR / "classic.keras"
    run = run_cli(*(str(tmp / name) for name in causes), str(good), cwd=ROOT)
    out = run.stdout + run.stderr
    assert run.returncode == 2
    for name, cause in causes.items():
        lines = [line for line in out.splitlines() if name in line]
        assert lines, f"{name} not reported"
        assert any(cause in line for line in lines), lines
    assert f"{good} › lstm: KRL001" in out


def test_looks_like_model_json(tmp_path: Path, built: Path) -> None:
    package = tmp_path / "package.json"
    package.write_text('{"name": "x", "dependencies": {"class_name": "y"}}')
    wrapper = tmp_path / "wrapped.json"
    config = json.loads((built / "classic.json").read_text())
    wrapper.write_text(json.dumps({"model_config": json.dumps(config), "training_config": None}))
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\xfe class_name")
    assert saved_model.looks_like_model_json(built / "classic.json")
    assert saved_model.looks_like_model_json(MODELS_DIR / "keras2_classic.json")
    assert saved_model.looks_like_model_json(wrapper)
    assert not saved_model.looks_like_model_json(package)
    assert not saved_model.looks_like_model_json(garbage)
    assert not saved_model.looks_like_model_json(tmp_path / "missing.json")
    (layer,) = saved_model.analyze_file(wrapper).layers
    assert layer.cls == "LSTM"


def test_directory_walk_lints_models_next_to_python_and_skips_other_json(tmp_path: Path) -> None:
    """Also skips HDF5 files that hold no model (data, weights from save_weights/checkpoints)."""
    import h5py

    (tmp_path / "package.json").write_text('{"name": "x"}')
    for name in ("data.h5", "model.weights.h5", "checkpoint.hdf5"):
        with h5py.File(tmp_path / name, "w") as handle:
            handle.create_dataset("kernel", data=[1.0, 2.0])
    (tmp_path / "classic.h5").write_bytes((MODELS_DIR / "classic.h5").read_bytes())
    for name in ("classic.keras", "keras2_classic.json"):
        (tmp_path / name).write_bytes((MODELS_DIR / name).read_bytes())
    (tmp_path / "train.py").write_text("from keras.layers import GRU\nGRU(4, activation='elu')\n")
    run = run_cli("--output-format", "json", str(tmp_path), cwd=ROOT)
    data = json.loads(run.stdout)
    findings = data if isinstance(data, list) else data["findings"]
    files = {Path(f["filename"]).name for f in findings}
    assert files == {"classic.keras", "classic.h5", "keras2_classic.json", "train.py"}
    assert run.returncode == 1, run.stdout + run.stderr
    for skipped in ("package.json", "data.h5", "model.weights.h5", "checkpoint.hdf5"):
        assert skipped not in run.stdout + run.stderr
