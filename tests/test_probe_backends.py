"""Which Keras backend the probe trains on (``--probe-backend auto`` is the one Keras would use),
a backend that is missing, and a live model built on JAX probed in its own process.

Keras fixes its backend when it is first imported, so the JAX-built live model runs in a
subprocess of its own (this test process runs Keras on TensorFlow).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import venv
from pathlib import Path

import pytest

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import check_layer
from kerasrnnlint.ir import Arg, Location, RecurrentLayer, Span
from kerasrnnlint.links import install_hint
from kerasrnnlint.probe import ProbeOptions, backends, run_probes

HAS_JAX = importlib.util.find_spec("jax") is not None


def test_auto_is_keras_backend_env_then_keras_json_then_the_first_installed(
    tmp_path: Path,
) -> None:
    home = tmp_path / "keras-home"
    home.mkdir()
    env = {"KERAS_HOME": str(home)}
    everything = {"tensorflow": True, "jax": True, "torch": True}
    assert backends.resolve("auto", env, {"jax": True, "torch": True}).backend == "jax"
    assert backends.resolve("auto", env, {"torch": True}).backend == "torch"
    assert backends.resolve("auto", env, everything).backend == "tensorflow"
    nothing = backends.resolve("auto", env, {})
    assert nothing.backend == "tensorflow" and nothing.source == "Keras's default"
    (home / "keras.json").write_text(json.dumps({"backend": "torch", "floatx": "float32"}))
    configured = backends.resolve("auto", env, everything)
    assert configured.backend == "torch" and configured.source.endswith("keras.json")
    from_env = backends.resolve("auto", {**env, "KERAS_BACKEND": "jax"}, everything)
    assert from_env == backends.Resolved("jax", "KERAS_BACKEND")
    assert backends.resolve("tensorflow", {**env, "KERAS_BACKEND": "jax"}).backend == "tensorflow"
    numpy = backends.resolve("auto", {**env, "KERAS_BACKEND": "numpy"}, everything)
    assert (
        numpy.problem is not None and "'numpy' (from KERAS_BACKEND) cannot train" in numpy.problem
    )
    for bad in ("[1, 2]", "{not json", "[" * 100_000, '{"backend": 3}'):
        (home / "keras.json").write_text(bad)
        assert backends.resolve("auto", env, {"jax": True}).backend == "jax", bad


def test_a_fifo_for_keras_json_is_skipped_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "keras.json")
    found: list[object] = []
    reader = threading.Thread(
        target=lambda: found.append(backends.read_keras_config(str(tmp_path / "keras.json"))),
        daemon=True,
    )
    reader.start()
    reader.join(10)
    if reader.is_alive():
        os.close(os.open(tmp_path / "keras.json", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading keras.json blocked on a FIFO")
    assert found == [None]


@pytest.mark.probe
def test_jax_missing_gives_one_note_naming_it_and_keeps_the_findings(tmp_path: Path) -> None:
    venv.create(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / "bin" / "python"
    layer = RecurrentLayer(
        "LSTM", Location("m.py", Span(1, 1, 1, 9)), args=(("activation", Arg("relu")),)
    )
    findings = check_layer(layer, Settings())
    options = ProbeOptions(python=str(python), backend="jax", cache=False)
    probed, notes = run_probes(findings, options)
    assert len(notes) == 1, notes
    assert "the jax backend of Keras is not available" in notes[0]
    assert install_hint("probe-jax") in notes[0]
    assert [f.severity for f in probed] == [f.severity for f in findings]
    assert {f.probe.verdict for f in probed if f.probe is not None} == {"unavailable"}


LIVE_JAX = """
import json, os
os.environ["KERAS_BACKEND"] = "jax"
import keras
import kerasrnnlint

def relu_like(x):
    return keras.ops.maximum(x, 0.0)

def tanh_like(x):
    return keras.ops.tanh(x)

out = {"backend": keras.backend.backend()}
for name, activation in (("relu_like", relu_like), ("tanh_like", tanh_like)):
    model = keras.Sequential(
        [keras.Input((16, 4)), keras.layers.LSTM(8, activation=activation), keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    (probe,) = kerasrnnlint.probe_model(model, budget=600)  # a busy machine: no inconclusive
    out[name] = {
        **probe.result.to_json(),
        "codes": sorted({f.code for f in probe.findings}),
        "tensorflow_imported": "tensorflow" in __import__("sys").modules,
    }
print(json.dumps(out))
"""


@pytest.mark.probe
@pytest.mark.skipif(not HAS_JAX, reason="jax is not installed")
def test_a_live_model_built_on_jax_is_probed_on_jax(tmp_path: Path) -> None:
    """``probe_model`` trains on the backend the live model was built with: a custom relu-like
    activation diverges on JAX (a KRL001 of its own), a tanh-like one does not."""
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, "-c", LIVE_JAX],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == "jax"
    relu, tanh = out["relu_like"], out["tanh_like"]
    assert relu["verdict"] == "confirmed" and relu["backend"] == "jax", relu
    assert relu["backend_version"] and "KRL001" in relu["codes"]
    assert tanh["verdict"] == "not-reproduced" and tanh["backend"] == "jax", tanh
    assert "KRL001" not in tanh["codes"]
