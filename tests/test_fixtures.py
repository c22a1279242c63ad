"""Every fixture file is linted and its findings compared, exactly, with the inline expectations.

An expected finding is a comment on the line it is reported on: ``# expect: KRL001[high] KRL101``
(several codes separated by spaces, the ``[severity]`` optional). Missing and extra findings both
fail; lines without ``# expect:`` must have no finding.

Fixture *projects* (``fixtures/projects/NAME/``, one per route across modules) are copied to a
temporary directory and linted twice: as a whole folder with the real command line, and one file
at a time (what pre-commit does with a changed file), each file with its own expectations.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tokenize
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from helpers import run_cli

from kerasrnnlint.engine import lint_source
from kerasrnnlint.findings import Finding
from kerasrnnlint.runner import lint_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECTS = FIXTURES / "projects"
FILES = sorted(p for p in FIXTURES.rglob("*.py") if PROJECTS not in p.parents)
PROJECT_DIRS = sorted(p for p in PROJECTS.iterdir() if p.is_dir())

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[^#]*)")
CODE = re.compile(r"^(?P<code>[A-Z]+[0-9]+)(?:\[(?P<severity>info|low|medium|high)\])?$")


@pytest.fixture(autouse=True)
def _no_summary_cache() -> Iterator[None]:
    """The fixtures live in this repository: linting them must not leave a cache in it."""
    from kerasrnnlint.frontends import project_options

    project_options.cache = False
    yield
    project_options.cache = True


def expectations(text: str) -> list[tuple[int, str, str | None]]:
    """(line, code, severity or None) for every ``# expect:`` comment of a fixture."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type != tokenize.COMMENT:
            continue
        match = EXPECT.search(token.string)
        if match is None:
            continue
        for word in match["codes"].split():
            parsed = CODE.match(word)
            assert parsed, f"line {token.start[0]}: bad expectation {word!r}"
            found.append((token.start[0], parsed["code"], parsed["severity"]))
    return found


def test_there_are_fixtures() -> None:
    assert len(FILES) >= 10


def test_expectation_syntax() -> None:
    text = (
        "x = 1  # expect: KRL001[high] KRL101\ny = '# expect: KRL002'\n# noqa  # expect: KRL004\n"
    )
    assert expectations(text) == [(1, "KRL001", "high"), (1, "KRL101", None), (3, "KRL004", None)]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_fixture(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.lstrip().startswith(('"""', "'''", 'r"""')), "a fixture starts with a docstring"
    result = lint_source(text, str(path))
    assert result.error is None, result.error
    compare(text, result.findings)


def compare(text: str, findings: Sequence[Finding]) -> None:
    """The findings of one file against its ``# expect:`` comments, exactly."""
    expected = expectations(text)
    actual = [(f.location.line, f.code, str(f.severity)) for f in findings]

    # Severity is compared only where the expectation names one.
    want = Counter((line, code) for line, code, _ in expected)
    got = Counter((line, code) for line, code, _ in actual)
    missing = sorted((want - got).elements())
    extra = sorted((got - want).elements())
    wrong_severity = sorted(
        (line, code, severity, actual_severity)
        for line, code, severity in expected
        if severity is not None
        for actual_line, actual_code, actual_severity in actual
        if (actual_line, actual_code) == (line, code) and actual_severity != severity
    )
    messages = {(f.location.line, f.code): f.message for f in findings}
    assert not missing and not extra and not wrong_severity, (
        f"missing: {missing}\nextra: {[(e, messages.get(e)) for e in extra]}\n"
        f"wrong severity (line, code, expected, actual): {wrong_severity}"
    )


def test_there_are_fixture_projects() -> None:
    assert len(PROJECT_DIRS) >= 13


def _copy(project: Path, tmp_path: Path) -> Path:
    target = tmp_path / project.name
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".kerasrnnlint_cache"))
    return target


def _project_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


@pytest.mark.parametrize("project", PROJECT_DIRS, ids=[p.name for p in PROJECT_DIRS])
def test_fixture_project_whole_folder(project: Path, tmp_path: Path) -> None:
    root = _copy(project, tmp_path)
    done = run_cli(root, "--output-format", "json", "--exit-zero", "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    found: dict[Path, list[tuple[int, str]]] = {}
    for item in json.loads(done.stdout):
        path = Path(item["filename"]).resolve()
        found.setdefault(path, []).append((item["location"]["row"], item["code"]))
    for path in _project_files(root):
        text = path.read_text(encoding="utf-8")
        assert text.lstrip().startswith('"""'), f"{path.name}: a fixture starts with a docstring"
        want = Counter((line, code) for line, code, _ in expectations(text))
        got = Counter(found.get(path.resolve(), []))
        missing = sorted((want - got).elements())
        extra = sorted((got - want).elements())
        assert not missing and not extra, f"{path.name}: missing {missing}, extra {extra}"


@pytest.mark.parametrize("project", PROJECT_DIRS, ids=[p.name for p in PROJECT_DIRS])
def test_fixture_project_one_file(project: Path, tmp_path: Path) -> None:
    root = _copy(project, tmp_path)
    for path in _project_files(root):
        result = lint_file(path)
        assert result.error is None, result.error
        compare(path.read_text(encoding="utf-8"), result.findings)
