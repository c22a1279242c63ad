"""Every fixture file is linted and its findings compared, exactly, with the inline expectations.

An expected finding is a comment on the line it is reported on: ``# expect: KRL001[high] KRL101``
(several codes separated by spaces, the ``[severity]`` optional). Missing and extra findings both
fail; lines without ``# expect:`` must have no finding.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from pathlib import Path

import pytest

from kerasrnnlint.engine import lint_source

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FILES = sorted(FIXTURES.rglob("*.py"))

EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[^#]*)")
CODE = re.compile(r"^(?P<code>[A-Z]+[0-9]+)(?:\[(?P<severity>info|low|medium|high)\])?$")


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

    expected = expectations(text)
    actual = [(f.location.line, f.code, str(f.severity)) for f in result.findings]

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
    messages = {(f.location.line, f.code): f.message for f in result.findings}
    assert not missing and not extra and not wrong_severity, (
        f"missing: {missing}\nextra: {[(e, messages.get(e)) for e in extra]}\n"
        f"wrong severity (line, code, expected, actual): {wrong_severity}"
    )
