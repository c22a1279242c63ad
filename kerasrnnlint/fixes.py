"""Autofix: ``--fix``, ``--unsafe-fixes``, ``--diff`` and ``--add-noqa`` as libcst edits.

Two pure text-to-text functions do the work and are shared by the CLI and the language server:

- :func:`fix_source` sets the arguments of each finding's :class:`~kerasrnnlint.findings.Fix` on
  the flagged layer call, as a libcst edit that keeps formatting and comments. It replaces the
  value expression when the argument is written at the call (keyword or positional, or inside an
  inline ``**{...}``/``**dict(...)``), adds ``name=value`` as a keyword when the argument is absent
  (Keras's default was used), and leaves the finding unfixed, saying why, when the value comes from
  elsewhere in a way an edit at the call would get wrong (a parameter default, a ``**cfg`` defined
  elsewhere).
- :func:`add_noqa_source` appends ``# noqa: CODE`` on the line each finding is reported on, merging
  with an existing ``# noqa: X`` comment and never breaking a line inside a string.

:func:`apply_fixes` adds the file handling: read, edit, check the result compiles, write atomically
(or print a diff), and re-lint so that the outcome lists what remains.
"""

from __future__ import annotations

import difflib
import io
import re
import sys
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from kerasrnnlint.config import Settings
from kerasrnnlint.engine import FileResult
from kerasrnnlint.files import Unreadable, decode_python, read_bytes, rewrite
from kerasrnnlint.findings import Finding
from kerasrnnlint.ir import POSITIONAL_PARAMS, ArgValue, Location, RecurrentLayer, Span
from kerasrnnlint.runner import Prepared, lint_file, lint_prepared, lint_text


@dataclass(frozen=True)
class FixOptions:
    unsafe: bool = False  # also apply fixes that change what the model computes
    diff_only: bool = False  # print a unified diff, write nothing
    add_noqa: bool = False  # insert a suppression comment on every current finding instead
    root: str | None = None  # --diff headers are a/… b/… relative to it (kerasrnnlint.roots)


@dataclass(frozen=True)
class FixOutcome:
    results: tuple[FileResult, ...]  # what remains after fixing (re-linted)
    diff: str = ""
    fixed: int = 0
    files_written: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    applied: tuple[Finding, ...] = ()  # the findings whose fix was applied (or would be: --diff)


UNSAFE_HINT = "fixable with --unsafe-fixes"
MAX_PASSES = 4  # a fix can reveal another (e.g. two findings on one argument); never loop forever


# --------------------------------------------------------------------------------------------------
# The libcst edit (shared with the language server)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFix:
    """What :func:`fix_source` did: the new text, the findings it fixed, and the ones it left
    (with why)."""

    text: str
    applied: tuple[Finding, ...] = ()
    skipped: tuple[tuple[Finding, str], ...] = ()


class FixError(Exception):
    """The source cannot be edited (it does not parse)."""


def why_not_applicable(finding: Finding, unsafe: bool) -> str | None:
    """Why a finding's fix is not applied under these options (None: it is applicable)."""
    fix = finding.fix
    if fix is None:
        return "the rule has no automatic fix"
    if fix.normalize_input:
        return (
            "needs a normalisation layer in front of the layer; not applied automatically "
            f"({fix.title})"
        )
    if not fix.changes:
        return "the rule has no automatic fix"
    if not fix.safe and not unsafe:
        return UNSAFE_HINT
    if finding.location.layer_path:
        return "saved models are not edited"
    if finding.subject is None or finding.subject.location.span is None:
        return "the layer has no source location"
    return None


def fix_source(text: str, findings: Iterable[Finding], *, unsafe: bool = False) -> SourceFix:
    """Apply the fixes of ``findings`` to ``text`` in one libcst pass.

    Spans in the findings must be spans of ``text``. Raises :class:`FixError` when ``text`` does
    not parse.
    """
    candidates: list[Finding] = []
    skipped: list[tuple[Finding, str]] = []
    for finding in findings:
        why = why_not_applicable(finding, unsafe)
        if why is None:
            candidates.append(finding)
        else:
            skipped.append((finding, why))
    if not candidates:
        return SourceFix(text=text, skipped=tuple(skipped))

    bom, body = ("\ufeff", text[1:]) if text.startswith("\ufeff") else ("", text)
    module, restore = _parse(body)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    calls = _calls_by_span(positions)

    plan = _Plan()
    applied: list[Finding] = []
    for finding in candidates:
        why = plan.add_finding(finding, calls)
        if why is None:
            applied.append(finding)
        else:
            skipped.append((finding, why))
    if not applied:
        return SourceFix(text=text, skipped=tuple(skipped))
    new_module = wrapper.module.visit(_Apply(plan))
    new_text = bom + _keep_last_ending(body, restore(new_module.code))
    return SourceFix(text=new_text, applied=tuple(applied), skipped=tuple(skipped))


def _parse(text: str) -> tuple[cst.Module, Callable[[str], str]]:
    """The libcst module of ``text`` and a function that undoes IPython masking on edited code."""
    try:
        return cst.parse_module(text), _identity
    except cst.ParserSyntaxError as exc:
        masked, lines = _mask(text)
        if not lines:
            raise FixError(f"cannot parse: {exc.message} (line {exc.raw_line})") from None
    try:
        module = cst.parse_module(masked)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"cannot parse: {exc.message} (line {exc.raw_line})") from None
    return module, lambda code: _unmask(code, text, lines)


def _identity(code: str) -> str:
    return code


def _keep_last_ending(old: str, new: str) -> str:
    """``new`` ending with the line terminator ``old`` ends with: libcst drops a final lone CR
    (old Mac line endings) from the code it prints."""
    ending = "\r\n" if old.endswith("\r\n") else old[-1:] if old.endswith(("\r", "\n")) else ""
    if ending and not new.endswith(("\r", "\n")):
        return new + ending
    return new


def _mask(text: str) -> tuple[str, tuple[int, ...]]:
    """IPython magics / ``!shell`` lines masked by the source frontend's helper, if present."""
    try:
        from kerasrnnlint.frontends import ipython  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return text, ()
    masked, lines = ipython.mask(text)
    return str(masked), tuple(int(n) for n in lines)


def _unmask(code: str, original: str, lines: Sequence[int]) -> str:
    """Put the original text of masked lines back (edits never add or remove lines there)."""
    old = original.splitlines(keepends=True)
    new = code.splitlines(keepends=True)
    if len(old) != len(new):
        return code
    for number in lines:
        new[number - 1] = old[number - 1]
    return "".join(new)


def _span(code_range: CodeRange) -> Span:
    start, end = code_range.start, code_range.end
    return Span(start.line, start.column + 1, end.line, end.column + 1)


def _calls_by_span(positions: Mapping[cst.CSTNode, CodeRange]) -> dict[Span, cst.Call]:
    """Every call of the module by its span (the innermost first when two share one)."""
    found: dict[Span, cst.Call] = {}
    for node, code_range in positions.items():
        if isinstance(node, cst.Call):
            found.setdefault(_span(code_range), node)
    return found


@dataclass(frozen=True)
class _Replace:
    node: cst.BaseExpression
    value: ArgValue
    quote: str


class _Plan:
    """The edits to make: value expressions to replace, keywords to add to calls."""

    def __init__(self) -> None:
        self.replace: dict[int, _Replace] = {}
        self.additions: dict[int, list[tuple[str, ArgValue, str]]] = {}
        self.done: dict[tuple[int, str], ArgValue] = {}

    def add_change(
        self, call: cst.Call, name: str, value: ArgValue, target: cst.BaseExpression | None
    ) -> str | None:
        key = (id(call), name)
        if key in self.done:
            if self.done[key] == value:
                return None
            return f"conflicts with another fix that sets `{name}`={self.done[key]!r}"
        quote = _quote_of(target) or _quote_in(call)
        if target is not None:
            self.replace[id(target)] = _Replace(target, value, quote)
        else:
            self.additions.setdefault(id(call), []).append((name, value, quote))
        self.done[key] = value
        return None

    def add_finding(self, finding: Finding, calls: Mapping[Span, cst.Call]) -> str | None:
        layer = finding.subject
        assert layer is not None and layer.location.span is not None and finding.fix is not None
        call = calls.get(layer.location.span)
        if call is None:
            return "the layer call was not found in the source (was the file changed?)"
        planned: list[tuple[str, ArgValue, cst.BaseExpression | None]] = []
        for name, value in finding.fix.changes:
            target = _target(call, layer, name)
            if isinstance(target, str):
                return target
            planned.append((name, value, target))
        for name, value, target in planned:
            why = self.add_change(call, name, value, target)
            if why is not None:
                return why
        return None


def _target(call: cst.Call, layer: RecurrentLayer, name: str) -> cst.BaseExpression | str | None:
    """The expression to replace for argument ``name`` (None: add a keyword; str: why not)."""
    arg = layer.arg(name)
    written = _written_at_call(call, layer.cls, name)
    if arg.origin.startswith(("search space", "choices of command-line option")):
        return f"`{name}` comes from a {arg.origin.split(' `', 1)[0]}: choose its members by hand"
    if written is not None:
        if arg.origin.startswith(("default of parameter", "value of parameter")):
            return (
                f"`{name}` is the {arg.origin}; setting it at the layer call would ignore what "
                "callers pass, so edit the default (or the callers) instead"
            )
        return written
    if not layer.has_arg(name):
        return None
    return (
        f"`{name}` is set by {arg.origin} outside the layer call; adding `{name}=` at the call "
        "would pass it twice, so edit it where it is set"
    )


def _written_at_call(call: cst.Call, cls: str, name: str) -> cst.BaseExpression | None:
    """The value expression of argument ``name`` written in the call itself: as a keyword, as a
    positional argument, or in an inline ``**{"name": ...}`` / ``**dict(name=...)``."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
        if arg.star == "**":
            inline = _inline_dict_value(arg.value, name)
            if inline is not None:
                return inline
    params = POSITIONAL_PARAMS.get(cls, ())
    if name in params:
        index = params.index(name)
        starred_before = any(a.star == "*" for a in call.args[: index + 1])
        if index < len(positional) and not starred_before:
            return positional[index].value
    return None


def _inline_dict_value(node: cst.BaseExpression, name: str) -> cst.BaseExpression | None:
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if (
                isinstance(element, cst.DictElement)
                and isinstance(element.key, cst.SimpleString)
                and element.key.evaluated_value == name
            ):
                return element.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == name:
                return arg.value
    return None


def _quote_of(node: cst.CSTNode | None) -> str | None:
    if isinstance(node, cst.SimpleString) and node.quote in ('"', "'"):
        return node.quote
    return None


def _quote_in(call: cst.Call) -> str:
    for arg in call.args:
        quote = _quote_of(arg.value)
        if quote:
            return quote
    return '"'


def _expression(value: ArgValue, quote: str) -> cst.BaseExpression:
    if isinstance(value, str):
        inner = repr(value)[1:-1] if quote == "'" else repr(value)[1:-1].replace('"', '\\"')
        return cst.SimpleString(f"{quote}{inner}{quote}")
    return cst.parse_expression(repr(value))


class _Apply(cst.CSTTransformer):
    def __init__(self, plan: _Plan) -> None:
        super().__init__()
        self.plan = plan

    def on_leave(
        self, original_node: cst.CSTNodeT, updated_node: cst.CSTNodeT
    ) -> cst.CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNodeT]:
        todo = self.plan.replace.get(id(original_node))
        if todo is not None and isinstance(updated_node, cst.BaseExpression):
            new = _expression(todo.value, todo.quote)
            if updated_node.lpar:
                new = new.with_changes(lpar=updated_node.lpar, rpar=updated_node.rpar)
            return new  # type: ignore[return-value]  # an expression replaces an expression
        return super().on_leave(original_node, updated_node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        call = updated_node
        for name, value, quote in self.plan.additions.get(id(original_node), ()):
            call = _append_keyword(call, name, _expression(value, quote))
        return call


def _clean(ws: cst.ParenthesizedWhitespace) -> cst.ParenthesizedWhitespace:
    """The same line break and indentation, without the comment or blank lines."""
    return ws.with_changes(first_line=cst.TrailingWhitespace(), empty_lines=())


def _separator(call: cst.Call) -> cst.BaseParenthesizableWhitespace:
    """The whitespace after a comma between two arguments of ``call``."""
    args = call.args
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        after = args[-2].comma.whitespace_after
        return _clean(after) if isinstance(after, cst.ParenthesizedWhitespace) else after
    if isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _clean(call.whitespace_before_args)
    return cst.SimpleWhitespace(" ")


def _join(
    head: cst.ParenthesizedWhitespace, sep: cst.BaseParenthesizableWhitespace
) -> cst.BaseParenthesizableWhitespace:
    """``head``'s comment and line break, then ``sep``'s indentation."""
    if isinstance(sep, cst.ParenthesizedWhitespace):
        return head.with_changes(indent=sep.indent, last_line=sep.last_line)
    return head


def _append_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """``call`` with ``name=value`` added as its last argument, in the call's own layout."""
    no_space = cst.SimpleWhitespace("")
    new = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space),
    )
    if not call.args:
        return call.with_changes(args=(new,))
    args = list(call.args)
    last = args[-1]
    sep = _separator(call)
    if isinstance(last.comma, cst.Comma):  # a trailing comma: keep it after the new argument
        after = last.comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace):
            last = last.with_changes(
                comma=last.comma.with_changes(whitespace_after=_join(after, sep))
            )
            new = new.with_changes(comma=cst.Comma(whitespace_after=_clean(after)))
        else:
            new = new.with_changes(comma=last.comma)
            last = last.with_changes(comma=cst.Comma(whitespace_after=sep))
    else:
        after = last.whitespace_after_arg
        if isinstance(after, cst.ParenthesizedWhitespace):
            last = last.with_changes(
                comma=cst.Comma(whitespace_after=_join(after, sep)), whitespace_after_arg=no_space
            )
            new = new.with_changes(whitespace_after_arg=_clean(after))
        else:
            last = last.with_changes(
                comma=cst.Comma(whitespace_after=sep), whitespace_after_arg=no_space
            )
            new = new.with_changes(whitespace_after_arg=after)
    return call.with_changes(args=(*args[:-1], last, new))


# --------------------------------------------------------------------------------------------------
# --add-noqa (shared with the language server's "suppress" action)
# --------------------------------------------------------------------------------------------------

NOQA_COMMENT = "  #" + " noqa: "  # split so that linters do not read it as a directive
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)


def noqa_targets(findings: Iterable[Finding]) -> list[tuple[Location, str]]:
    """Where ``# noqa: CODE`` goes for each finding and for each finding folded into it (a
    suppressed root no longer folds them: they would come back), as (location, code)."""
    out = []
    for finding in findings:
        out.append((finding.location, finding.code))
        out.extend((entry.location, entry.code) for entry in finding.folded if entry.code)
    return out


def add_noqa_source(text: str, findings: Iterable[tuple[int, str]]) -> str:
    """``text`` with ``# noqa: CODE`` on each ``(line, code)``.

    A line that ends inside a string or with a backslash continuation cannot take a comment: the
    comment goes on the next line that can (where the statement or the string ends). Raises
    :class:`FixError` when ``text`` cannot be tokenized.
    """
    wanted: dict[int, list[str]] = {}
    ends = _comment_lines(text)
    for line, code in findings:
        target = next((n for n in ends if n >= line), None)
        if target is None:
            continue
        codes = wanted.setdefault(target, [])
        if code not in codes:
            codes.append(code)
    if not wanted:
        return text
    lines = text.splitlines(keepends=True)
    for number, codes in wanted.items():
        if number > len(lines):
            continue
        lines[number - 1] = _with_noqa(lines[number - 1], sorted(codes))
    return "".join(lines)


def _comment_lines(text: str) -> list[int]:
    """The lines (1-based, sorted) whose end is outside any string and any continuation."""
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        rows = _line_ends(body)
    except (tokenize.TokenError, SyntaxError):
        masked, lines = _mask(body)
        if not lines:
            raise FixError("cannot tokenize the source to place `# noqa` comments") from None
        try:
            rows = _line_ends(masked)
        except (tokenize.TokenError, SyntaxError):
            raise FixError("cannot tokenize the source to place `# noqa` comments") from None
    return sorted(rows)


def _line_ends(text: str) -> set[int]:
    rows: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
            rows.add(token.start[0])
    return rows


def _with_noqa(line: str, codes: Sequence[str]) -> str:
    content = line.rstrip("\r\n")
    ending = line[len(content) :]
    match = _noqa_in(content)
    if match is not None:
        if match.group("codes") is None:
            return line  # a bare suppression comment already covers every code
        present = [c for c in re.split(r"[,\s]+", match.group("codes")) if c]
        merged = present + [c for c in codes if c.upper() not in {p.upper() for p in present}]
        start, end = match.span("codes")
        return content[:start] + ", ".join(merged) + content[end:] + ending
    return content.rstrip() + NOQA_COMMENT + ", ".join(codes) + ending


def _noqa_in(content: str) -> re.Match[str] | None:
    """The ``# noqa`` in the comment of a line (not one inside a string on it)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(content + "\n").readline))
        comments = [t for t in tokens if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        hash_at = content.rfind("#")
        comments = []
        if hash_at >= 0:
            return NOQA.search(content, hash_at)
    for comment in comments:
        match = NOQA.search(content, comment.start[1])
        if match is not None:
            return match
    return None


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    text: str
    encoding: str
    data: bytes = b""  # as read: the file is written only if it still holds these bytes


def _read(path: str) -> _Source:
    """Read and decode like the linter does (PEP 263: BOM, coding cookie); line endings kept."""
    data = read_bytes(path)
    if isinstance(data, Unreadable):
        raise FixError(f"cannot read the file: {data.cause}")
    text = decode_python(data)
    if isinstance(text, Unreadable):
        raise FixError(f"cannot read the file: {text.cause}")
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return _Source(text=text, encoding=encoding, data=data)


def _compiles(text: str, path: str) -> str | None:
    """None when ``text`` compiles (IPython lines masked as the linter masks them), else why not."""
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        compile(body, path, "exec", dont_inherit=True)
        return None
    except SyntaxError as exc:
        masked, lines = _mask(body)
        if lines:
            try:
                compile(masked, path, "exec", dont_inherit=True)
                return None
            except SyntaxError:
                pass
        return f"{exc.msg} (line {exc.lineno})"
    except ValueError as exc:  # e.g. NUL bytes
        return str(exc)


def write_atomic(path: str, text: str, encoding: str) -> None:
    """Write ``text`` to the file at ``path`` (through a symbolic link, keeping hard links, owner,
    group and mode; a read-only file is refused): see :func:`kerasrnnlint.files.rewrite`."""
    rewrite(path, text.encode(encoding))


def unified_diff(path: str, old: str, new: str, root: str | None = None) -> str:
    """A unified diff with git's ``a/``/``b/`` headers relative to ``root`` (default: the working
    directory), so ``git apply`` takes it from any directory of the repository."""
    from kerasrnnlint.roots import rooted

    rel = rooted(path, root)
    before, after = (f"a/{rel}", f"b/{rel}") if rel is not None else (path, path)
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), before, after
    )
    out = []
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


@dataclass(frozen=True)
class _Edited:
    """What fixing one file did."""

    result: FileResult  # what remains (re-linted when written; the input when not)
    fixed: int = 0
    messages: tuple[str, ...] = ()
    diff: str = ""
    written: bool = False
    applied: tuple[Finding, ...] = ()


def _leftover_messages(
    leftover: Iterable[tuple[Finding, str]], remaining: Iterable[Finding]
) -> tuple[str, ...]:
    """Why each finding that is still there (and has a fix) was not fixed."""
    still = {(f.code, f.location) for f in remaining}
    out = []
    for finding, why in leftover:
        if finding.fix is None or (finding.code, finding.location) not in still:
            continue
        where = finding.location.display()
        if why == UNSAFE_HINT:
            out.append(f"{where}: {finding.code} {why}")
        else:
            out.append(f"{where}: {finding.code} not fixed: {why}")
    return tuple(dict.fromkeys(out))


def _fix_python(result: FileResult, settings: Settings, options: FixOptions) -> _Edited:
    source = _read(result.path)
    text = source.text
    # The findings' spans are those of the text the run linted: the file may have changed since.
    # Lint the text read here, so that every edit lands on the call it is meant for.
    current = lint_text(text, result.path, settings)
    if current.error is not None:
        raise FixError(f"cannot lint the file as it is now: {current.error}")
    result = current
    fixed = 0
    applied: list[Finding] = []
    leftover: tuple[tuple[Finding, str], ...] = ()
    if options.add_noqa:
        targets = noqa_targets(result.findings)
        text = add_noqa_source(text, [(loc.line, code) for loc, code in targets])
        current = lint_text(text, result.path, settings)
        fixed = len(result.findings) - len(current.findings)
    else:
        for _ in range(MAX_PASSES):  # fix, re-lint, repeat while something changes
            outcome = fix_source(text, current.findings, unsafe=options.unsafe)
            leftover = outcome.skipped
            if outcome.text == text or not outcome.applied:
                break
            text = outcome.text
            fixed += len(outcome.applied)
            applied.extend(outcome.applied)
            current = lint_text(text, result.path, settings)
            if current.error:
                break
    messages = _leftover_messages(leftover, current.findings)
    if text == source.text:
        return _Edited(result, messages=messages)
    broken = _compiles(text, result.path)
    if broken is not None:
        why = _not_compiling(result.path, source.text, broken, "the fixed source")
        return _Edited(result, messages=(*messages, why))
    done = tuple(applied)
    if options.diff_only:
        diff = unified_diff(result.path, source.text, text, options.root)
        return _Edited(result, fixed, messages, diff=diff, applied=done)
    if read_bytes(result.path) != source.data:
        why = f"{result.path}: not written: the file changed while it was being fixed; run again"
        return _Edited(result, messages=(*messages, why))
    write_atomic(result.path, text, source.encoding)
    return _Edited(current, fixed, messages, written=True, applied=done)


def _not_compiling(where: str, original: str, broken: str, what: str) -> str:
    """Why an edit is not written: it would not compile, or, when the original does not compile
    with this Python either (3.12+ syntax under 3.11), that the edit cannot be checked here."""
    before = _compiles(original, where)
    if before is not None:
        version = ".".join(map(str, sys.version_info[:2]))
        return (
            f"{where}: not written: the file itself does not compile with the running Python "
            f"{version} ({before}), so the fixed version cannot be checked; run the fix with a "
            "Python that knows this syntax, or fix it by hand"
        )
    return f"{where}: not written: {what} would not compile: {broken}"


def _fix_notebook(result: FileResult, settings: Settings, options: FixOptions) -> _Edited:
    """Fix cell by cell (finding spans are rows inside their cell); write only cell sources."""
    from kerasrnnlint.frontends import notebook
    from kerasrnnlint.frontends.base import InputError

    path = Path(result.path)
    data = read_bytes(str(path), notebook.MAX_BYTES)
    if isinstance(data, Unreadable):
        raise FixError(f"cannot read the file: {data.cause}")
    try:
        parsed = notebook.parse(data)
    except InputError as exc:
        raise FixError(exc.message) from None
    cells = {cell.number: cell for cell in parsed.cells}
    # The notebook as it is now (it may have changed since the run linted it).
    result = lint_prepared(Prepared(str(path), "notebook", data=data), settings)
    if result.error is not None:
        raise FixError(f"cannot lint the file as it is now: {result.error}")
    by_cell: dict[int, list[Finding]] = {}
    for finding in result.findings:
        if finding.location.cell in cells:
            by_cell.setdefault(finding.location.cell, []).append(finding)
    noqa_by_cell: dict[int, list[tuple[int, str]]] = {}
    for where, code in noqa_targets(result.findings):
        if where.cell in cells:
            noqa_by_cell.setdefault(where.cell, []).append((where.line, code))
            by_cell.setdefault(where.cell, [])
    sources: dict[int, str] = {}
    leftover: list[tuple[Finding, str]] = []
    applied: list[Finding] = []
    fixed = 0
    for number, findings in sorted(by_cell.items()):
        old = cells[number].source
        if options.add_noqa:
            new = add_noqa_source(old, noqa_by_cell.get(number, []))
            fixed += len(findings) if new != old else 0
        else:
            outcome = fix_source(old, findings, unsafe=options.unsafe)
            leftover += outcome.skipped
            new = outcome.text
            fixed += len(outcome.applied)
            applied.extend(outcome.applied)
        if new != old:
            broken = _compiles(new, f"{path}:cell {number}")
            if broken is not None:
                why = _not_compiling(f"{path}:cell {number}", old, broken, "the fixed cell")
                return _Edited(result, messages=(why,))
            sources[number] = new
    messages = _leftover_messages(leftover, result.findings)
    if not sources:
        return _Edited(result, messages=messages)
    if options.diff_only:
        diff = "".join(
            unified_diff(f"{path}:cell {n}", cells[n].source, new, options.root)
            for n, new in sources.items()
        )
        return _Edited(result, fixed, messages, diff=diff, applied=tuple(applied))
    if read_bytes(str(path), notebook.MAX_BYTES) != data:
        why = f"{path}: not written: the file changed while it was being fixed; run again"
        return _Edited(result, messages=(*messages, why))
    notebook.write_cells(path, sources)
    after = lint_file(str(path), settings)
    messages = _leftover_messages(leftover, after.findings)
    return _Edited(after, fixed, messages, written=True, applied=tuple(applied))


def apply_fixes(
    results: Sequence[FileResult], settings: Settings, options: FixOptions
) -> FixOutcome:
    """Fix (or suppress) the findings of ``results`` in their files; what remains, re-linted."""
    out: list[FileResult] = []
    diffs: list[str] = []
    messages: list[str] = []
    written: list[str] = []
    applied: list[Finding] = []
    fixed = 0
    for result in results:
        if result.error or not result.findings:
            out.append(result)
            continue
        why = _unsupported(result)
        if why is not None:
            messages.append(f"{result.path}: not fixed: {why}")
            out.append(result)
            continue
        handler = _fix_notebook if result.path.endswith(".ipynb") else _fix_python
        try:
            edited = handler(result, settings, options)
        except FixError as exc:
            messages.append(f"{result.path}: not fixed: {exc}")
            out.append(result)
            continue
        except OSError as exc:
            messages.append(f"{result.path}: not written: {exc.strerror or exc}")
            out.append(result)
            continue
        out.append(edited.result)
        messages.extend(edited.messages)
        fixed += edited.fixed
        applied.extend(edited.applied)
        if edited.diff:
            diffs.append(edited.diff)
        if edited.written:
            written.append(result.path)
    if fixed:
        files = len(diffs) if options.diff_only else len(written)
        verb = "would fix" if options.diff_only else "fixed"
        if options.add_noqa:
            verb = "would suppress" if options.diff_only else "suppressed"
        messages.append(f"{verb} {fixed} finding(s) in {files} file(s)")
    return FixOutcome(
        results=tuple(out),
        diff="".join(diffs),
        fixed=fixed,
        files_written=tuple(written),
        messages=tuple(messages),
        applied=tuple(applied),
    )


def _unsupported(result: FileResult) -> str | None:
    if result.path == "-":
        return "standard input cannot be fixed in place"
    if any(f.location.layer_path for f in result.findings):
        return "saved models are not edited"
    return None
