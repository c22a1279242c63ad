"""The probe, with real Keras on CPU on every backend installed here (TensorFlow and JAX; PyTorch
when it is installed): stress-tier verdicts, fix verification, the cache and its validation, the
child process's budgets, signals and import path, a backend missing, the in-process entry point
and ``kerasrnnlint probe``.

The stress probes run once per backend, in one child process each (module fixture); the other
tests reuse their cached results where they can.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import venv
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layer
from kerasrnnlint.findings import Finding, Fix, Severity
from kerasrnnlint.frontends.source import analyze
from kerasrnnlint.ir import (
    Arg,
    ArgValue,
    Context,
    Location,
    Optimizer,
    Producer,
    RecurrentLayer,
    Span,
)
from kerasrnnlint.links import install_hint
from kerasrnnlint.probe import ProbeOptions, ProbeResult, cache, run_probes
from kerasrnnlint.probe.render import sparkline, text_lines
from kerasrnnlint.probe.runner import INSTALL_HINT, ProbeRequest, cache_keys, probe_batch
from kerasrnnlint.probe.spec import build_spec
from kerasrnnlint.probe.trainer import build_model, to_result
from kerasrnnlint.rules.krl001_unbounded_activation import FIX as TANH_FIX

pytestmark = pytest.mark.probe

UNBOUNDED = ("relu", "elu", "selu", "linear", "gelu")
BOUNDED = ("tanh", "sigmoid", "relu6")
BACKENDS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(name) is None, reason=f"{name} is not installed"
        ),
    )
    for name in ("tensorflow", "jax", "torch")
]


def lstm(activation: str, cls: str = "LSTM", units: int = 64, **args: ArgValue) -> RecurrentLayer:
    pairs = [("units", Arg(units)), ("activation", Arg(activation))]
    pairs += [(k, Arg(v)) for k, v in args.items()]
    return RecurrentLayer(cls, Location("model.py", Span(3, 1, 3, 30)), args=tuple(pairs))


@pytest.fixture(scope="module", autouse=True)
def keras_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No ``KERAS_BACKEND`` and an empty ``KERAS_HOME``: ``auto`` is the first installed backend
    (TensorFlow), whatever this machine's ``~/.keras/keras.json`` says."""
    home = tmp_path_factory.mktemp("keras-home")
    old = {name: os.environ.get(name) for name in ("KERAS_HOME", "KERAS_BACKEND")}
    os.environ["KERAS_HOME"] = str(home)
    os.environ.pop("KERAS_BACKEND", None)
    yield home
    for name, value in old.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if old is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = old


PRODUCER_LAYER = RecurrentLayer(
    "GRU",
    Location("model.py", Span(9, 1, 9, 20)),
    args=(("units", Arg(32)),),
    context=Context(producer=Producer("Conv1D", "unbounded", activation="relu")),
)
NORMALIZE_FIX = Fix(title="add LayerNormalization", normalize_input=True)
_STRESS: dict[str, dict[str, ProbeResult]] = {}
_PLANTED: dict[str, dict[str, str]] = {}  # backend -> {request name: its cache key}
_SIDE_EFFECTS: dict[str, dict[str, object]] = {}  # backend -> what the batch did around it

# Modules a scanned project could hold in the working directory: imported by the probe child,
# each would leave a marker file behind.
SHADOWING = ("json", "keras", "numpy", "tensorflow", "jax", "torch", "kerasrnnlint")
# Cache entries that must be dropped, not trusted, planted under the keys of the stress runs.
VALID_RUN = {
    "verdict": "confirmed",
    "step": 2,
    "steps": 2,
    "max_steps": 6,
    "history": [0.5, float("nan")],
    "max_abs_h": float("nan"),
    "max_abs_c": 1.0,
    "loss": float("nan"),
    "grad_norm": float("nan"),
    "seconds": 1.0,
    "device": "cpu",
    "backend": "tensorflow",
    "backend_version": "0",
    "keras": "3",
    "stopped": "diverged",
    "reason": "planted",
    "tier": "stress",
}


def bad_entry(name: str, key: str) -> str:
    """The text of a planted cache entry for the run of request ``name`` (under ``key``)."""
    entry = {"schema": cache.SCHEMA, "key": key, "result": dict(VALID_RUN)}
    if name == "tanh":  # alone, it would raise a bounded layer's finding to high
        return json.dumps({"verdict": "confirmed"})
    if name == "sigmoid":
        entry["result"]["history"] = "abc"  # type: ignore[index]
    elif name == "relu6":
        entry["result"]["step"] = "two"  # type: ignore[index]
    elif name == "elu":
        return "[" * 100_000 + "]" * 100_000
    elif name == "gelu":
        entry["key"] = "0" * 32  # a valid entry, copied from another key
    elif name == "linear":
        return json.dumps(VALID_RUN)  # no schema: what the cache wrote before
    return json.dumps(entry)


@contextlib.contextmanager
def shadowing_workdir(folder: Path) -> Iterator[Path]:
    """The working directory is ``folder``, full of modules that shadow real ones, and
    ``PYTHONPATH`` names it relatively (``.``); yields the folder their markers go to."""
    markers = folder / "markers"
    markers.mkdir(parents=True)
    for name in SHADOWING:
        (folder / f"{name}.py").write_text(f"open({str(markers / name)!r}, 'w').close()\n")
    old_cwd, old_path = os.getcwd(), os.environ.get("PYTHONPATH")
    os.chdir(folder)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (old_path, ".", "") if p is not None)
    try:
        yield markers
    finally:
        os.chdir(old_cwd)
        if old_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old_path


def stress_batch(backend: str, workdir: Path) -> dict[str, ProbeResult]:
    """Every stress probe of this file on ``backend``, in one batch (one child process), with
    bad cache entries planted under some of their keys (a FIFO under relu's) and run from a
    working directory whose modules must not be imported."""
    if backend not in _STRESS:
        requests = {a: ProbeRequest(lstm(a), "KRL001", TANH_FIX) for a in UNBOUNDED + BOUNDED}
        requests["convlstm1d-relu"] = ProbeRequest(
            lstm("relu", "ConvLSTM1D", filters=8, kernel_size=3), "KRL001", TANH_FIX
        )
        requests["gru-cell-elu"] = ProbeRequest(lstm("elu", "GRUCell"), "KRL001", TANH_FIX)
        requests["krl004"] = ProbeRequest(PRODUCER_LAYER, "KRL004", NORMALIZE_FIX)
        options = ProbeOptions(backend=backend)
        keys = dict(zip(requests, cache_keys(list(requests.values()), options), strict=True))
        folder = cache.directory()
        folder.mkdir(parents=True, exist_ok=True)
        planted = {}
        for name in ("tanh", "sigmoid", "relu6", "elu", "gelu", "linear"):
            key = keys[name]
            assert key is not None
            (folder / f"{key}.json").write_text(bad_entry(name, key))
            planted[name] = key
        fifo = folder / f"{keys['relu']}.json"
        os.mkfifo(fifo)
        planted["relu"] = str(keys["relu"])
        _PLANTED[backend] = planted
        unblocked: list[bool] = []

        def watchdog() -> None:  # a probe blocked on the FIFO is set free, and says so
            time.sleep(120)
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                unblocked.append(True)

        threading.Thread(target=watchdog, daemon=True).start()
        with shadowing_workdir(workdir) as markers:
            results, notes = probe_batch(list(requests.values()), options)
        _SIDE_EFFECTS[backend] = {
            "unblocked": bool(unblocked),
            "imported": sorted(p.name for p in markers.iterdir()),
        }
        assert notes == []
        _STRESS[backend] = dict(zip(requests, results, strict=True))
    return _STRESS[backend]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def stress(
    backend: str, cache_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, ProbeResult]:
    return stress_batch(backend, tmp_path_factory.mktemp(f"workdir-{backend}"))


@pytest.fixture(scope="module")
def tf_stress(cache_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ProbeResult]:
    """The TensorFlow batch: ``auto`` here, so the command-line tests below hit its cache."""
    return stress_batch("tensorflow", tmp_path_factory.mktemp("workdir-tensorflow"))


@pytest.mark.parametrize("activation", UNBOUNDED)
def test_unbounded_activation_is_confirmed_and_tanh_fix_verified(
    stress: dict[str, ProbeResult], backend: str, activation: str
) -> None:
    result = stress[activation]
    assert result.verdict == "confirmed", result
    assert result.tier == "stress"
    assert result.step is not None and 1 <= result.step <= 6
    assert len(result.history) == result.step
    assert result.fix_verified is True, result.fix_evidence
    assert "activation='tanh'" in (result.fix_evidence or "")
    assert result.device == "cpu"
    assert result.backend == backend and result.backend_version
    assert result.to_json()["backend"] == backend


@pytest.mark.parametrize("activation", BOUNDED)
def test_bounded_activation_is_not_reproduced(
    stress: dict[str, ProbeResult], backend: str, activation: str
) -> None:
    result = stress[activation]
    assert result.verdict == "not-reproduced", result
    assert len(result.history) == 6
    assert result.max_abs_h is not None and result.max_abs_h <= 6.0
    assert result.fix_verified is None  # a fix is only verified after "confirmed"
    assert result.backend == backend


def test_convlstm_and_cells_are_rebuilt(stress: dict[str, ProbeResult]) -> None:
    conv = stress["convlstm1d-relu"]
    assert conv.verdict in ("confirmed", "not-reproduced"), conv.message
    assert any("ConvLSTM input" in d for d in conv.defaults_used)
    assert stress["gru-cell-elu"].verdict == "confirmed", stress["gru-cell-elu"].message


def test_bad_cache_entries_are_dropped_and_replaced(
    stress: dict[str, ProbeResult], backend: str
) -> None:
    """Entries of the wrong shape, deeply nested, under another key, of the old format, or a
    lone ``{"verdict": "confirmed"}`` are misses: each run ran (not cached), gave its real
    verdict, and its entry is now a valid one."""
    assert _SIDE_EFFECTS[backend]["unblocked"] is False, "the probe blocked on a FIFO"
    for name, key in _PLANTED[backend].items():
        result = stress[name]
        assert result.extra["cached"] is False, name
        assert result.verdict == ("not-reproduced" if name in BOUNDED else "confirmed"), name
        stored = cache.load(key)
        assert stored is not None and stored["verdict"] == result.verdict, name
        assert stored["backend"] == backend


def test_the_probe_child_imports_nothing_from_the_working_directory(
    stress: dict[str, ProbeResult], backend: str
) -> None:
    """The batch ran from a folder holding json.py, keras.py, numpy.py, the backend's module and
    kerasrnnlint.py (each writes a marker when imported), with ``.`` on PYTHONPATH: the child
    imported none of them, and trained."""
    assert _SIDE_EFFECTS[backend]["imported"] == []
    assert stress["relu"].verdict == "confirmed"


def test_a_fifo_in_the_cache_is_a_miss_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cache.directory().mkdir(parents=True)
    fifo = cache.directory() / "key.json"
    os.mkfifo(fifo)
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(cache.load("key")), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # set it free, then fail
        pytest.fail("cache.load blocked on a FIFO")
    assert found == [None]
    cache.store("key", VALID_RUN)  # the next run replaces it with a valid entry
    assert cache.load("key") is not None


def test_krl004_probes_the_producer_pair(stress: dict[str, ProbeResult]) -> None:
    # A relu Conv1D in front of a tanh GRU: h stays bounded by tanh, so the pair is not
    # reproduced at this size; the result still says what it ran.
    result = stress["krl004"]
    assert result.verdict in ("confirmed", "not-reproduced"), result.message
    assert result.history and all(h <= 1.0 + 1e-6 for h in result.history)


def findings_for(layer: RecurrentLayer) -> list[Finding]:
    return check_layer(layer, Settings())


def test_run_probes_raises_confirmed_to_high_and_keeps_everything(
    tf_stress: dict[str, ProbeResult],
) -> None:
    relu = findings_for(lstm("relu"))
    selu = [f for f in findings_for(lstm("selu")) if f.code == "KRL001"]
    low = [replace(f, severity=Severity.LOW) for f in selu]
    findings = relu + low
    probed, notes = run_probes(findings, ProbeOptions(min_severity=Severity.MEDIUM))
    assert notes == []
    assert len(probed) == len(findings)
    by_code = {f.code: f for f in probed[: len(relu)]}
    krl001 = by_code["KRL001"]
    assert krl001.probe is not None and krl001.probe.verdict == "confirmed"
    assert krl001.probe.extra["cached"] is True  # the batch above wrote it
    assert krl001.severity is Severity.HIGH
    assert any(f.name == "probe" for f in krl001.factors)
    assert "KRL101" not in by_code or by_code["KRL101"].probe is None  # not a NaN finding
    assert probed[-1].probe is None and probed[-1].severity is Severity.LOW  # below min severity
    data = krl001.to_json()["probe"]
    assert data["verdict"] == "confirmed" and data["fix_verified"] is True
    json.dumps(data, allow_nan=False)  # strict JSON even with NaN evidence


def test_tensorflow_missing_gives_one_note_and_keeps_findings(tmp_path: Path) -> None:
    venv.create(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / "bin" / "python"
    findings = findings_for(lstm("relu")) + findings_for(lstm("elu"))
    probed, notes = run_probes(findings, ProbeOptions(python=str(python), cache=False))
    assert len(notes) == 1
    assert INSTALL_HINT in notes[0] and "tensorflow" in notes[0]
    assert [f.code for f in probed] == [f.code for f in findings]
    assert [f.severity for f in probed] == [f.severity for f in findings]
    assert {f.probe.verdict for f in probed if f.probe is not None} == {"unavailable"}
    assert all(INSTALL_HINT not in f.probe.message for f in probed if f.probe is not None)


def test_hanging_probe_is_killed_at_its_budget(
    tf_stress: dict[str, ProbeResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERASRNNLINT_PROBE_TEST_SLEEP", "600")
    request = [ProbeRequest(lstm("relu"), "KRL001", TANH_FIX)]
    # From the cache, no child runs at all: the hang does not matter.
    (cached,), _ = probe_batch(request, ProbeOptions(timeout=1.0))
    assert cached.verdict == "confirmed" and cached.extra["cached"] is True
    # --no-cache: the child sleeps in its run and is killed.
    options = ProbeOptions(timeout=1.0, cache=False, device="gpu")
    (result,), notes = probe_batch(request, options)
    assert result.verdict == "timeout", result
    assert "killed" in result.message
    assert notes == ["probe: --probe-device gpu, but TensorFlow sees no GPU: probed on cpu"]


def test_total_budget_stops_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERASRNNLINT_PROBE_TEST_SLEEP", "600")
    requests = [ProbeRequest(lstm(a), "KRL001", TANH_FIX) for a in ("relu", "elu")]
    results, _ = probe_batch(requests, ProbeOptions(timeout=60, total_timeout=2.0, cache=False))
    assert [r.verdict for r in results] == ["timeout", "timeout"]
    assert all("total probe budget" in r.message for r in results)


def test_custom_activation_in_source_is_unknown_with_a_hint() -> None:
    layer = lstm("my_activation")
    (result,), notes = probe_batch([ProbeRequest(layer)], ProbeOptions())
    assert notes == []  # no child was started, so nothing to say about TensorFlow
    assert result.verdict == "unknown"
    assert "probe_layer" in result.message and "never runs scanned code" in result.message
    unresolved = RecurrentLayer(
        "GRU", Location("m.py"), args=(("activation", Arg.unknown("a call result")),)
    )
    (result,), _ = probe_batch([ProbeRequest(unresolved)], ProbeOptions())
    assert result.verdict == "unknown" and "a call result" in result.message


def test_lint_probe_reports_a_custom_activation_layer_as_unknown_with_a_hint(
    tmp_path: Path,
) -> None:
    path = tmp_path / "custom.py"
    path.write_text(
        "from keras import layers, ops\n\n\n"
        "def my_act(x):\n    return ops.maximum(x, 0.0)\n\n\n"
        "rnn = layers.LSTM(64, activation=my_act)\n"
    )
    result = run_cli("--probe", path, env={"XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"{path}:8:7: LSTM: unknown, not probed" in result.stderr
    assert "custom callable `my_act`" in result.stderr
    assert result.stderr.count("probe_layer(layer, activation=") == 1


def test_in_process_probe_decides_a_custom_callable() -> None:
    import keras

    from kerasrnnlint.probe.trainer import probe_layer

    layer = lstm("my_activation")

    def relu_like(x: object) -> object:
        return keras.ops.maximum(x, 0.0)

    def tanh_like(x: object) -> object:
        return keras.ops.tanh(x)

    random.seed(7)
    state = random.getstate()
    confirmed = probe_layer(layer, activation=relu_like, fix=TANH_FIX)
    assert random.getstate() == state  # the caller's own random state is put back
    assert confirmed.verdict == "confirmed", confirmed.message
    assert confirmed.fix_verified is True
    bounded = probe_layer(layer, activation=tanh_like)
    assert bounded.verdict == "not-reproduced", bounded.message


def probe_cli(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """``kerasrnnlint probe ARGS`` with its result cache in ``cache``."""
    env = {"XDG_CACHE_HOME": str(cache)}
    return run_cli("probe", *args, env=env, timeout=300, importtime=True)


SOURCE = """\
from keras import layers

encoder = layers.LSTM(
    64,
    activation="relu",
)
decoder = layers.LSTM(32)
"""


def test_probe_command_text_and_json(tmp_path: Path, cache_home: Path, tf_stress: object) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    text = probe_cli(f"{path}:5", cache=cache_home)
    assert text.returncode == 1, text.stderr[-2000:]
    assert "KRL001 [high]" in text.stdout
    assert (
        "probe (stress, tensorflow 2." in text.stdout and ", cpu): confirmed at step" in text.stdout
    )
    assert "fix verified: with activation='tanh'" in text.stdout
    # Cached results: the lint process itself never imported TensorFlow (or another backend).
    assert "tensorflow" not in text.stderr and "jax" not in text.stderr
    as_json = probe_cli(f"{path}:7", "--output-format", "json", cache=cache_home)
    assert as_json.returncode == 0, as_json.stderr[-2000:]
    data = json.loads(as_json.stdout)
    assert data["findings"] == [] and data["probe"]["verdict"] == "not-reproduced"
    assert data["probe"]["backend"] == "tensorflow" and data["probe"]["backend_version"]
    assert data["layer"] == "LSTM" and data["location"]["row"] == 7


def test_probe_command_takes_every_lint_output_format(
    tmp_path: Path, cache_home: Path, tf_stress: object
) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    sarif = probe_cli(f"{path}:5", "--output-format", "sarif", cache=cache_home)
    assert sarif.returncode == 1, sarif.stderr[-2000:]
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    probes = {r["ruleId"]: r["properties"].get("probe") for r in results}
    assert probes["KRL001"]["verdict"] == "confirmed"
    assert probes["KRL001"]["fix_verified"] is True
    junit = probe_cli(f"{path}:5", "--output-format", "junit", cache=cache_home)
    assert junit.returncode == 1 and "probe: confirmed" in junit.stdout
    # A layer with no finding: nothing for GitHub to annotate; the probe goes to stderr.
    github = probe_cli(f"{path}:7", "--output-format", "github", cache=cache_home)
    assert github.returncode == 0 and github.stdout == ""
    assert "not reproduced in 6 steps" in github.stderr


def test_probe_command_reads_the_project_configuration(tmp_path: Path, cache_home: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.kerasrnnlint]\nignore = ["KRL001", "KRL101"]\nprobe-timeout = 1\n'
    )
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    env = {"XDG_CACHE_HOME": str(cache_home), "KERASRNNLINT_PROBE_TEST_SLEEP": "8"}
    result = run_cli("probe", f"{path}:5", "--no-cache", env=env, timeout=300)
    assert "KRL001" not in result.stdout, result.stdout  # ignored by the project
    assert "no finding on this layer" in result.stdout
    assert "no result within 1 s" in result.stdout, result.stdout  # its probe-timeout


def test_probe_command_usage_errors(tmp_path: Path, cache_home: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    assert probe_cli(str(path), cache=cache_home).returncode == 2
    missing = probe_cli(f"{path}:1", cache=cache_home)
    assert missing.returncode == 2 and "no recurrent layer" in missing.stderr
    broken = tmp_path / "broken.py"
    broken.write_text("from keras import layers\nlayers.LSTM(8,\n")
    result = probe_cli(f"{broken}:2", cache=cache_home)
    assert result.returncode == 2 and str(broken) in result.stderr
    for flag, value in (("--probe-timeout", "-1"), ("--probe-total-timeout", "0")):
        bad = probe_cli(f"{path}:7", flag, value, "--no-cache", cache=cache_home)
        assert bad.returncode == 2, bad.stdout  # as the lint run's flags: no probe runs
        assert f"{flag}: expected a positive number, got '{value}'" in bad.stderr


def test_text_lines_show_verdict_sparkline_and_fix() -> None:
    result = ProbeResult(
        verdict="confirmed",
        tier="stress",
        step=3,
        max_abs_h=2e5,
        history=(0.5, 40.0, 2e5),
        seconds=1.25,
        device="cpu",
        fix_verified=True,
        fix_evidence="with activation='tanh': finite for 6 steps",
        message="max |h| 2e+05 > 1000 at step 3",
    )
    lines = text_lines(result)
    assert lines[0] == "probe (stress, cpu): confirmed at step 3 · max |h| 2e+05 · 1.2 s"
    assert any("▁▃█" in line for line in lines)
    assert any(line.strip().startswith("fix verified:") for line in lines)
    assert sparkline([1.0, float("nan")]) == "▁!"
    assert sparkline([1.0, 10.0, 100.0, 1000.0]) == "▁▃▆█"
    failed = ProbeResult(verdict="timeout", tier="replay", message="killed")
    assert text_lines(failed) == ["probe (replay): timeout: killed"]


def test_probe_targets_for_notebooks_and_saved_models() -> None:
    from kerasrnnlint.probe.command import Target, parse_target, select
    from kerasrnnlint.runner import lint_file

    assert parse_target("a/model.py:12") == Target("a/model.py", line=12)
    assert parse_target("nb.ipynb:3:7") == Target("nb.ipynb", line=7, cell=3)
    model = str(Path(__file__).parent.parent / "fixtures" / "models" / "nested_encoder.keras")
    target = parse_target(f"{model}:forward_lstm")
    assert target == Target(model, layer="forward_lstm")
    layers = lint_file(model).layers
    layer = select(layers, target)
    assert layer is not None and layer.location.layer_path[-1] == "forward_lstm"
    shown = " › ".join(layer.location.layer_path)  # as the text output prints it
    assert select(layers, Target(model, layer=shown)) is layer
    assert select(layers, Target(model, layer="/".join(layer.location.layer_path))) is layer
    assert select(layers, Target(model, layer="missing")) is None
    with pytest.raises(ValueError, match="FILE:LINE"):
        parse_target("model.py:0")


def test_constraint_objects_are_rebuilt_not_assumed() -> None:
    """``MaxNorm(0.5)`` in source reaches the probe's layer as Keras's MaxNorm(0.5); a config
    this Keras refuses takes the default and is said to."""
    text = (
        "import keras\nfrom keras.constraints import MaxNorm\n"
        "x = keras.layers.LSTM(512, activation='relu', kernel_constraint=MaxNorm(0.5),\n"
        "    recurrent_constraint=keras.constraints.MaxNorm(max_value=0.5))\n"
    )
    (layer,) = analyze(text, "m.py").layers
    outcome = build_spec(layer)
    assert outcome.spec is not None
    assert not any("constraint" in d for d in outcome.defaults_used), outcome.defaults_used
    kwargs = outcome.spec["kwargs"]
    assert kwargs["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 0.5}}
    json.dumps(outcome.spec)  # the spec travels to the child process as JSON

    assumed: list[str] = []
    model = build_model({**outcome.spec, "units": 4, "timesteps": 3}, assumed=assumed)
    rnn = next(lay for lay in model.layers if type(lay).__name__ == "LSTM")
    for constraint in (rnn.cell.kernel_constraint, rnn.cell.recurrent_constraint):
        assert type(constraint).__name__ == "MaxNorm" and constraint.max_value == 0.5
    assert assumed == []

    refused = {"class_name": "MaxNorm", "config": {"no_such_argument": 1}}
    spec = {**outcome.spec, "units": 4, "timesteps": 3}
    spec["kwargs"] = {**kwargs, "kernel_constraint": refused}
    model = build_model(spec, assumed=assumed)
    rnn = next(lay for lay in model.layers if type(lay).__name__ == "LSTM")
    assert rnn.cell.kernel_constraint is None  # Keras's default
    assert len(assumed) == 1 and assumed[0].startswith("kernel_constraint (Keras default")
    result = to_result({"verdict": "not-reproduced", "assumed": assumed}, ("units=64",))
    assert result.defaults_used == ("units=64", *assumed)  # the report lists it as assumed


# --------------------------------------------------------------------------------------------------
# Backends, budgets and signals through the real command line
# --------------------------------------------------------------------------------------------------


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_probe_backend_from_the_flag_and_the_project(tmp_path: Path, cache_home: Path) -> None:
    """``probe-backend = "jax"`` in pyproject.toml, overridden by ``--probe-backend``; the report
    names the backend and its version. The JAX stress batch has filled the cache."""
    stress_batch("jax", tmp_path / "workdir")
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    (tmp_path / "pyproject.toml").write_text('[tool.kerasrnnlint]\nprobe-backend = "jax"\n')
    as_json = probe_cli(f"{path}:5", "--output-format", "json", cache=cache_home)
    assert as_json.returncode == 1, as_json.stderr[-2000:]
    (finding,) = [f for f in json.loads(as_json.stdout)["findings"] if f["code"] == "KRL001"]
    probe = finding["probe"]
    assert probe["backend"] == "jax" and probe["backend_version"] and probe["cached"] is True
    assert "import time:" in as_json.stderr  # ... and JAX was never imported by the run:
    assert not re.search(r"\|\s+jax(\.|$)", as_json.stderr, re.MULTILINE)
    text = run_cli(
        "--probe", path, "--probe-backend", "tensorflow", env={"XDG_CACHE_HOME": str(cache_home)}
    )
    assert "probe (stress, tensorflow " in text.stdout, text.stdout + text.stderr[-2000:]
    (tmp_path / "pyproject.toml").write_text('[tool.kerasrnnlint]\nprobe-backend = "numpy"\n')
    bad = run_cli("--probe", path)
    assert bad.returncode == 2
    assert "probe-backend: expected one of auto, tensorflow, jax, torch, got 'numpy'" in bad.stderr


def test_a_backend_that_is_not_installed_is_named_and_the_run_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    # PyTorch made unimportable (installed or not) for the lint process and the probe child, by a
    # meta-path finder in a sitecustomize on PYTHONPATH.
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    pythonpath = os.pathsep.join(p for p in (str(blocker), os.environ.get("PYTHONPATH")) if p)
    result = run_cli(
        "--probe",
        path,
        "--probe-backend",
        "torch",
        "--output-format",
        "json",
        env={"PYTHONPATH": pythonpath},
    )
    assert result.returncode == 1, result.stderr[-2000:]  # the findings, as without --probe
    assert "the torch backend of Keras is not available" in result.stderr
    assert "torch not installed" in result.stderr and install_hint("probe-torch") in result.stderr
    findings = json.loads(result.stdout)
    assert {f["probe"]["verdict"] for f in findings if f.get("probe")} == {"unavailable"}
    assert "KRL001" in {f["code"] for f in findings}


@pytest.mark.parametrize(
    "args",
    [
        ("--probe-timeout", "1e12"),
        ("--probe-total-timeout", "1e300"),
    ],
)
def test_huge_probe_timeouts_are_refused(tmp_path: Path, args: tuple[str, str]) -> None:
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    flag, value = args
    lint = run_cli("--probe", path, *args)
    assert lint.returncode == 2 and "Traceback" not in lint.stderr, lint.stderr[-2000:]
    assert f"{flag}: expected at most 1000000 seconds, got '{value}'" in lint.stderr
    probe = run_cli("probe", f"{path}:5", *args)
    assert probe.returncode == 2 and "Traceback" not in probe.stderr, probe.stderr[-2000:]
    assert f"{flag}: expected at most 1000000 seconds, got '{value}'" in probe.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.kerasrnnlint]\nprobe-timeout = 1e300\n")
    configured = run_cli("--probe", path)
    assert configured.returncode == 2 and "Traceback" not in configured.stderr
    assert "probe-timeout: expected at most 1000000 seconds, got 1e+300" in configured.stderr


REPLAY = RecurrentLayer(
    "LSTM",
    Location("train.py", Span(4, 1, 4, 40)),
    args=(("units", Arg(64)), ("activation", Arg("relu"))),
    context=Context(timesteps=32, features=8, optimizer=Optimizer("SGD", learning_rate=1.0)),
)


def test_replay_at_its_defaults_says_how_long_and_runs_to_its_step_limit(tmp_path: Path) -> None:
    """No ``--probe-timeout``: the run times its first steps, says how long its 1000 steps take
    before it goes on, and stops only at its verdict or its step limit (never at a budget)."""
    said: list[str] = []
    options = ProbeOptions(mode="replay", cache=False)
    (result,), notes = probe_batch(
        [ProbeRequest(REPLAY, "KRL001", TANH_FIX)], options, announce=said.append
    )
    assert notes == []
    assert result.verdict == "not-reproduced", result
    assert result.extra["steps"] == result.extra["max_steps"] == 1000
    assert result.extra["stopped"] == "max_steps"
    (line,) = said
    assert line.startswith("probe: train.py:4:1: LSTM: replay on tensorflow ")
    assert "(traced), then" in line and "up to 1000 steps: about" in line


def test_replay_stopped_by_its_budget_is_inconclusive(tmp_path: Path) -> None:
    """An explicit timeout wins; the run it cuts short is ``inconclusive (budget)``, never
    ``not-reproduced``, and is not cached."""
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    path = tmp_path / "train.py"
    path.write_text(
        "import keras\n\n"
        "model = keras.Sequential([keras.Input((32, 8)),\n"
        "    keras.layers.LSTM(64, activation='tanh')])\n"
        "model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss='mse')\n"
    )
    args = ("probe", f"{path}:4", "--probe-mode", "replay", "--probe-timeout", "3")
    result = run_cli(*args, "--output-format", "json", env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    probe = json.loads(result.stdout)["probe"]
    assert probe["verdict"] == "inconclusive" and probe["stopped"] == "budget", probe
    assert probe["cached"] is False and 1 <= probe["steps"] < 1000
    assert "budget ran out" in probe["message"]
    text = run_cli(*args, env=env, timeout=300)  # run again: it was not cached
    assert "(cached)" not in text.stdout
    assert "inconclusive (budget)" in text.stdout, text.stdout


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid and b"kerasrnnlint.probe.child" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM", "SIGINT", "SIGHUP"])
def test_the_probe_child_dies_with_the_run(tmp_path: Path, sig: str) -> None:
    """``kill -9`` of the run (the child's parent-death signal), or a signal the run can catch
    (its handler kills the child first; the child's own parent watch is off for these, so that
    the handler is what is tested): no probe child is left running as an orphan."""
    path = tmp_path / "model.py"
    path.write_text(SOURCE)
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path),
        "KERASRNNLINT_PROBE_TEST_SLEEP": "600",
        "KERASRNNLINT_PROBE_TEST_NO_PARENT_WATCH": "0" if sig == "SIGKILL" else "1",
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "kerasrnnlint", "--probe", "--no-cache", str(path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    child: list[int] = []
    try:
        for _ in range(600):
            child = _children(run.pid)
            if child or run.poll() is not None:
                break
            time.sleep(0.1)
        assert child, f"no probe child was started: {run.stderr.read() if run.stderr else ''}"
        time.sleep(1.0)  # let it arm its parent-death signal (the race before is covered too)
        run.send_signal(getattr(signal, sig))
        run.wait(timeout=30)
        for _ in range(150):
            if not _alive(child[0]):
                break
            time.sleep(0.1)
        assert not _alive(child[0]), f"probe child {child[0]} outlived the run ({sig})"
    finally:
        if run.poll() is None:
            run.kill()
        for pid in child:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
