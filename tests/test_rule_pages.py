"""The rule pages ``docs/rules/*.md`` are generated from the rules and kept fresh, and every link
to a rule (SARIF ``helpUri``, JSON ``url``, ``explain``) goes to them through one base URL."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

from helpers import run_cli

from kerasrnnlint.links import DOCS_URL, REPOSITORY_URL, rule_url
from kerasrnnlint.rule_pages import markdown, page, rule_options
from kerasrnnlint.rules import ALL_RULES, BY_CODE

REPO = Path(__file__).resolve().parents[1]
RISKY = 'from keras.layers import LSTM\n\nlayer = LSTM(8, activation="relu")\n'


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen", REPO / "docs" / "generate_rule_pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_pages_are_up_to_date() -> None:
    stale = generator().stale()
    assert stale == [], f"stale rule pages {stale}: run python docs/generate_rule_pages.py"


def test_a_stale_missing_or_extra_page_is_found(tmp_path: Path) -> None:
    gen = generator()
    copy = tmp_path / "rules"
    shutil.copytree(REPO / "docs" / "rules", copy)
    assert gen.stale(copy) == []
    (copy / "KRL001.md").write_text("old text\n", encoding="utf-8")
    (copy / "KRL002.md").unlink()
    (copy / "KRL999.md").write_text("a removed rule\n", encoding="utf-8")
    assert gen.stale(copy) == ["KRL001.md", "KRL002.md", "KRL999.md"]
    assert sorted(gen.write(copy)) == ["KRL001.md", "KRL002.md"]
    assert gen.stale(copy) == []


def test_a_page_holds_the_docstring_and_the_options() -> None:
    text = page(BY_CODE["KRL003"])
    assert text.startswith("# KRL003 `recurrent-dropout-high-lr`\n")
    assert "## Why is this bad?" in text and "## Use instead" in text
    assert "| `recurrent-dropout-max-lr` | `0.01` |" in text
    assert rule_options(BY_CODE["KRL001"]) == []
    assert "## Options" not in page(BY_CODE["KRL001"])
    assert (
        markdown("a ``b`` c\n```python\nx = ``y``\n```\n") == "a `b` c\n```python\nx = ``y``\n```\n"
    )
    for rule in ALL_RULES:
        assert (REPO / "docs" / "rules" / f"{rule.code}.md").is_file()


def test_every_link_goes_to_the_rule_page_through_one_base(tmp_path: Path) -> None:
    assert f"{REPOSITORY_URL}/blob/main/docs/rules/" == DOCS_URL
    assert rule_url("krl001") == f"{DOCS_URL}KRL001.md"
    (tmp_path / "model.py").write_text(RISKY, encoding="utf-8")
    for env, base in (
        ({}, DOCS_URL),
        ({"KERASRNNLINT_DOCS_URL": "https://x.test/r"}, "https://x.test/r/"),
    ):
        sarif = json.loads(
            run_cli("--output-format", "sarif", "model.py", cwd=tmp_path, env=env).stdout
        )
        rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        assert {r["helpUri"] for r in rules} == {f"{base}{r.code}.md" for r in ALL_RULES}
        findings = json.loads(
            run_cli("--output-format", "json", "model.py", cwd=tmp_path, env=env).stdout
        )
        assert findings and all(f["url"] == f"{base}{f['code']}.md" for f in findings)
        explained = run_cli("explain", "KRL001", cwd=tmp_path, env=env).stdout
        assert f"Documentation: {base}KRL001.md" in explained


def test_rule_format_markdown_prints_the_pages() -> None:
    one = run_cli("rule", "KRL101", "--format", "markdown")
    assert one.returncode == 0, one.stderr
    assert one.stdout == (REPO / "docs" / "rules" / "KRL101.md").read_text(encoding="utf-8")
    assert "## One finding per cause" in one.stdout  # what folds into what
    every = run_cli("rule", "--all", "--format", "markdown")
    assert every.returncode == 0, every.stderr
    assert every.stdout == "\n".join(page(rule) for rule in ALL_RULES)
    assert run_cli("rule", "KRL999", "--format", "markdown").returncode == 2
