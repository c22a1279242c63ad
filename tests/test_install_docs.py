"""What the README and the tool tell a new user to run works: the install hints name real extras
and a valid direct reference to the repository, the pre-commit snippet pins a commit (no tag exists
yet), and the README's GitHub workflow and GitLab job use the action's real inputs and real output
formats."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from kerasrnnlint.links import REPOSITORY_URL, install_hint
from kerasrnnlint.reporters import FORMATS

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
SHA_PLACEHOLDER = "<full 40-hex commit SHA>"


def yaml_blocks(after_heading: str) -> list[Any]:
    section = README.split(after_heading, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    return [yaml.safe_load(block.replace(SHA_PLACEHOLDER, "ab" * 20)) for block in blocks]


def test_install_hints_name_commands_that_work() -> None:
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    for extra in ("h5", "probe", "lsp"):
        hint = install_hint(extra)
        assert extra in extras
        direct = re.search(r"pip install '([^']+ @ [^']+)'", hint)
        assert direct, hint
        requirement = Requirement(direct.group(1))  # a valid PEP 508 direct reference
        assert (requirement.name, requirement.extras) == ("kerasrnnlint", {extra})
        assert requirement.url == f"git+{REPOSITORY_URL}"
        assert f"pip install '.[{extra}]'" in hint  # from a checkout
    assert REPOSITORY_URL in (REPO / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert f"git+{REPOSITORY_URL}" in README


def test_the_missing_h5py_message_carries_the_hint(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['h5py'] = None; "
        "from kerasrnnlint.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    model = REPO / "fixtures" / "models" / "classic.h5"
    proc = subprocess.run(
        [sys.executable, "-c", script, "--isolated", str(model)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert install_hint("h5") in proc.stdout + proc.stderr
    assert "pip install 'kerasrnnlint[h5]' " not in proc.stdout  # not on PyPI yet


def test_pre_commit_snippet_pins_a_commit() -> None:
    (config,) = yaml_blocks("### pre-commit")
    (repo,) = config["repos"]
    assert repo["repo"] == REPOSITORY_URL
    assert re.fullmatch(r"[0-9a-f]{40}", repo["rev"])  # the SHA placeholder, as a SHA
    assert {hook["id"] for hook in repo["hooks"]} == {"kerasrnnlint"}
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    assert "kerasrnnlint" in {hook["id"] for hook in hooks}
    assert "rev: v0.1.0\n" not in README


def test_readme_workflow_uses_the_actions_real_inputs() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
    (workflow,) = yaml_blocks("### GitHub Action")
    steps = workflow["jobs"]["kerasrnnlint"]["steps"]
    ours = next(s for s in steps if s.get("uses", "").startswith("kerasrnnlint/kerasrnnlint@"))
    assert re.fullmatch(r"kerasrnnlint/kerasrnnlint@[0-9a-f]{40}", ours["uses"])
    assert set(ours["with"]) <= set(action["inputs"])
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif")
    )
    assert upload["with"]["sarif_file"] == ours["with"]["sarif-file"]
    assert workflow["jobs"]["kerasrnnlint"]["permissions"]["security-events"] == "write"


def test_readme_gitlab_job_uses_real_formats_and_report_files() -> None:
    (config,) = yaml_blocks("### GitLab")
    job = config["kerasrnnlint"]
    script = "\n".join(job["script"])
    formats = re.findall(r"--output-format (\S+) --output-file (\S+)", script)
    assert {fmt for fmt, _ in formats} == {"gitlab", "junit"} and all(
        f in FORMATS for f, _ in formats
    )
    reports = job["artifacts"]["reports"]
    assert dict(formats) == {"gitlab": reports["codequality"], "junit": reports["junit"]}
    assert job["artifacts"]["when"] == "always"
