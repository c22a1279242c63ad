"""Pure helpers: findings → LSP objects (diagnostics, hover text, text edits, ranges).

Nothing here touches the server's state; every function takes what it works on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

from kerasrnnlint.findings import Finding, Severity
from kerasrnnlint.ir import Span
from kerasrnnlint.rules import BY_CODE

SOURCE = "kerasrnnlint"
FIX_ALL_KIND = "source.fixAll.kerasrnnlint"

SEVERITIES: dict[Severity, types.DiagnosticSeverity] = {
    Severity.HIGH: types.DiagnosticSeverity.Error,
    Severity.MEDIUM: types.DiagnosticSeverity.Warning,
    Severity.LOW: types.DiagnosticSeverity.Information,
    Severity.INFO: types.DiagnosticSeverity.Hint,
}

# Physical lines as Python (and LSP) count them: only \n, \r\n and \r end a line, not the other
# characters str.splitlines() splits on (\x0c, \u2028...), which would shift every line below.
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def split_lines(text: str) -> list[str]:
    return _LINES.findall(text)


def count_lines(text: str) -> int:
    """``len(split_lines(text))``, without building the list."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (1 if text and not text.endswith(("\n", "\r")) else 0)


# --------------------------------------------------------------------------------------------------
# Rule documentation links: the one place ``codeDescription.href`` (and the hover's documentation
# link) is set.
# --------------------------------------------------------------------------------------------------


def rule_href(code: str) -> str | None:
    """The URL of a rule's documentation page (:func:`kerasrnnlint.links.rule_url`)."""
    from kerasrnnlint.links import rule_url

    return rule_url(code)


# --------------------------------------------------------------------------------------------------
# Positions
# --------------------------------------------------------------------------------------------------


def finding_span(finding: Finding) -> Span | None:
    if finding.location.span is not None:
        return finding.location.span
    return finding.subject.location.span if finding.subject else None


def to_range(span: Span | None, lines: Sequence[str], codec: PositionCodec) -> types.Range:
    """An LSP range (0-based, client units) of a 1-based code-point span."""
    if span is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    start = ServerTextPosition(span.line - 1, span.column - 1)
    end = ServerTextPosition(span.end_line - 1, span.end_column - 1)
    return types.Range(
        codec.position_to_client_units(lines, start), codec.position_to_client_units(lines, end)
    )


def key(position: types.Position) -> tuple[int, int]:
    return (position.line, position.character)


def overlaps(a: types.Range, b: types.Range) -> bool:
    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def contains(r: types.Range, p: types.Position) -> bool:
    return key(r.start) <= key(p) <= key(r.end)


# --------------------------------------------------------------------------------------------------
# Diagnostics and hover
# --------------------------------------------------------------------------------------------------


def display_order(findings: Iterable[Finding]) -> list[Finding]:
    """Line order, and on one line the highest severity first (then column, code)."""

    def order(finding: Finding) -> tuple[int, int, int, str]:
        span = finding_span(finding)
        line, column = (span.line, span.column) if span else (0, 0)
        return (line, -int(finding.severity), column, finding.code)

    return sorted(findings, key=order)


def diagnostic(
    finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec
) -> types.Diagnostic:
    """The diagnostic of a finding in the document ``uri`` (``lines``: its text)."""
    href = rule_href(finding.code)
    return types.Diagnostic(
        range=to_range(finding_span(finding), lines, codec),
        message=finding.message,
        severity=SEVERITIES[finding.severity],
        code=finding.code,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related_information(finding, uri, lines, codec),
        data={"name": finding.name, "severity": str(finding.severity)},
    )


def related_information(
    finding: Finding, uri: str, lines: Sequence[str], codec: PositionCodec
) -> list[types.DiagnosticRelatedInformation] | None:
    """The places a finding folds in or points at (``Finding.related``), as
    ``relatedInformation``: a place in the same document (and cell) at its range in ``uri``,
    a place in another file at that file's URI; places without a position are left out."""
    out = []
    here = finding.location
    for entry in finding.related:
        where = entry.location
        if where.span is None:
            continue
        if where.path == here.path and where.cell == here.cell:
            target = types.Location(uri=uri, range=to_range(where.span, lines, codec))
        elif where.cell is None:
            start = types.Position(where.span.line - 1, where.span.column - 1)
            end = types.Position(where.span.end_line - 1, where.span.end_column - 1)
            other = Path(where.path).resolve().as_uri()
            target = types.Location(uri=other, range=types.Range(start, end))
        else:
            continue
        out.append(types.DiagnosticRelatedInformation(location=target, message=entry.text))
    return out or None


def same_diagnostic(sent: types.Diagnostic, ours: types.Diagnostic) -> bool:
    """Whether a diagnostic the client sent back (a code action's context) is one of ours: the
    same code and range, or the same code and message on the same line (some clients, Neovim 0.7
    among them, send back a range they recomputed in their own column units)."""
    if sent.source not in (None, SOURCE) or str(sent.code) != ours.code:
        return False
    if key(sent.range.start) == key(ours.range.start) and key(sent.range.end) == key(
        ours.range.end
    ):
        return True
    return sent.range.start.line == ours.range.start.line and sent.message == ours.message


def hover_text(finding: Finding) -> str:
    """Markdown: what was found, the risk factors behind its severity, the rule's explanation."""
    parts = [f"**{finding.code} {finding.name}** ({finding.severity})", "", finding.message]
    if finding.factors:
        parts += ["", "**Risk factors:**"]
        parts += [f"- `{f.name}` = {f.value}: {f.effect}" for f in finding.factors]
    if finding.fix is not None:
        safety = "safe" if finding.fix.safe else "unsafe: it changes what the model computes"
        parts += ["", f"**Fix:** {finding.fix.title} ({safety})"]
    rule = BY_CODE.get(finding.code)
    if rule is not None:
        parts += ["", "---", "", _explanation(rule.doc)]
        href = rule_href(finding.code)
        if href:
            parts += ["", f"[{finding.code} documentation]({href})"]
    return "\n".join(parts)


def _explanation(doc: str) -> str:
    """The rule docstring's "What it does" and "Why is this bad?" sections."""
    body = doc.split("\n", 1)[1] if "\n" in doc else doc
    return body.split("## Example", 1)[0].strip()


# --------------------------------------------------------------------------------------------------
# Edits
# --------------------------------------------------------------------------------------------------


def text_edit(old: str, new: str, codec: PositionCodec) -> types.TextEdit:
    """One TextEdit turning ``old`` into ``new`` (the changed middle only)."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    # Never cut a \r\n in two: an LSP position cannot sit between its characters.
    if 0 < start < len(old) and old[start - 1] == "\r" and old[start] == "\n":
        start -= 1
    if 0 < end_old < len(old) and old[end_old - 1] == "\r" and old[end_old] == "\n":
        end_old += 1
        end_new += 1
    lines = split_lines(old)
    return types.TextEdit(
        range=types.Range(
            _client_position(old, start, lines, codec), _client_position(old, end_old, lines, codec)
        ),
        new_text=new[start:end_new],
    )


def _client_position(
    text: str, offset: int, lines: Sequence[str], codec: PositionCodec
) -> types.Position:
    before = split_lines(text[:offset])
    if not before:
        line, column = 0, 0
    elif before[-1].endswith(("\n", "\r")):
        line, column = len(before), 0
    else:
        line, column = len(before) - 1, len(before[-1])
    position: types.Position = codec.position_to_client_units(
        lines, ServerTextPosition(line, column)
    )
    return position


def workspace_edit(uri: str, old: str, new: str, codec: PositionCodec) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [text_edit(old, new, codec)]})


def kind_allowed(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a code action of ``kind`` answers a request limited to ``only`` (LSP: a kind
    matches its prefixes, ``source`` covers ``source.fixAll.kerasrnnlint``)."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)
