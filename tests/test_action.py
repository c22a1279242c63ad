"""The GitHub Action (``action.yml``): its steps run as the runner runs a composite action's
``run:`` steps (``bash --noprofile --norc -eo pipefail``, inputs and ``github.action_path``
substituted, ``GITHUB_ENV``/``GITHUB_OUTPUT`` files carried between steps), on a repository with a
risky model: annotations on the diff, a SARIF report for upload-sarif, the exit status.

The install step really creates a virtual environment and pip-installs the action's checkout (a
copy of this one) into it, with libcst and rich from the package index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # pip-installs the package into a fresh environment (~20-60 s)
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")
RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(8, activation="relu")\n'


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    return data


def substitute(text: str, context: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        assert key in context, f"action.yml uses ${{{{ {key} }}}}, unknown to the test"
        return context[key]

    return EXPRESSION.sub(value, text)


def read_env_file(path: Path) -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line
    )


def run_action(
    inputs: dict[str, str], workspace: Path, action_path: Path, runner_temp: Path
) -> tuple[int, str, dict[str, str]]:
    """Run every step; the exit status and output of the first that fails (or the last)."""
    spec = action()
    context = {"github.action_path": str(action_path)}
    for name, definition in spec["inputs"].items():
        context[f"inputs.{name}"] = inputs.get(name, str(definition.get("default", "")))
    env_file, output_file = runner_temp / "github_env", runner_temp / "github_output"
    env_file.touch()
    output_file.touch()
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    base.update(
        RUNNER_TEMP=str(runner_temp),
        GITHUB_ENV=str(env_file),
        GITHUB_OUTPUT=str(output_file),
        GITHUB_WORKSPACE=str(workspace),
        NO_COLOR="1",
    )
    status, output = 0, ""
    for step in spec["runs"]["steps"]:
        assert step["shell"] == "bash"
        env = {**base, **read_env_file(env_file)}
        env.update({k: substitute(str(v), context) for k, v in step.get("env", {}).items()})
        script = runner_temp / "step.sh"
        script.write_text(substitute(step["run"], context), encoding="utf-8")
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        status, output = proc.returncode, proc.stdout + proc.stderr
        if status != 0:
            break
    return status, output, read_env_file(output_file)


def test_action_is_a_composite_action_with_documented_inputs() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) >= {"args", "output-format", "sarif-file", "extras"}
    assert spec["inputs"]["output-format"]["default"] == "github"
    assert spec["outputs"]["sarif-file"]["value"] == "${{ steps.lint.outputs.sarif-file }}"
    install = spec["runs"]["steps"][0]
    assert "${{ github.action_path }}" in install["env"].values()  # installs this checkout
    for step in spec["runs"]["steps"]:
        # Inputs reach the scripts through the environment, never pasted into the script text.
        assert not EXPRESSION.search(step["run"]), step["name"]


def test_the_action_lints_a_repository_and_writes_sarif(tmp_path: Path) -> None:
    if shutil.which("git") is None or shutil.which("bash") is None:
        pytest.skip("needs git and bash")
    action_path = tmp_path / "action"
    shutil.copytree(
        REPO,
        action_path,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", "build", "corpus", ".*_cache"
        ),
    )
    workspace = tmp_path / "workspace"
    (workspace / "src" / "my models").mkdir(parents=True)
    (workspace / "src" / "my models" / "model.py").write_text(RISKY, encoding="utf-8")
    (workspace / "src" / "clean.py").write_text("from keras.layers import GRU\nGRU(4)\n", "utf-8")
    subprocess.run(["git", "init", "-q", str(workspace)], check=True)
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    status, output, outputs = run_action(
        {"args": "'src/my models' src/clean.py --select KRL001", "sarif-file": "results.sarif"},
        workspace,
        action_path,
        runner_temp,
    )
    assert status == 1, output  # a high finding fails the step
    annotations = [line for line in output.splitlines() if line.startswith("::")]
    assert annotations, output
    assert annotations[0].startswith("::error file=src/my models/model.py,line=3,col=")
    assert annotations[-1].startswith("::notice title=kerasrnnlint::1 finding: 1 high in 1 file")
    assert outputs == {"sarif-file": "results.sarif"}
    sarif = json.loads((workspace / "results.sarif").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    jsonschema.validate(sarif, schema)
    (result,) = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "src/my%20models/model.py"
    )
    assert "primaryLocationLineHash" in result["partialFingerprints"]
    # Another format, and a run without findings at or above --fail-on exits 0.
    status, output, _ = run_action(
        {"args": "src --fail-on high --select KRL101", "output-format": "concise"},
        workspace,
        action_path,
        runner_temp,
    )
    assert status == 0, output
    assert "src/my models/model.py:3:9: KRL101 [-] [info]" in output
