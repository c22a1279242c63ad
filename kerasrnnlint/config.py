"""Settings of a run: ``[tool.kerasrnnlint]`` in the nearest pyproject.toml, then flags.

Loading is ruff-like: the nearest ``pyproject.toml`` upward from the first path (or the working
directory) that has a ``[tool.kerasrnnlint]`` table is the configuration, and its directory is the
project root that ``exclude`` and ``per-file-ignores`` globs are relative to. Rule selectors are
codes, code prefixes (``KRL0``, ``KRL``, ``ALL``) or rule names. A bad key or value raises
:class:`ConfigError` with a message for people.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath, PurePosixPath
from typing import Any

from kerasrnnlint.findings import Severity
from kerasrnnlint.rules import ALL_RULES, BY_NAME, RuleOptions

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".env",
    "env",
    ".tox",
    ".nox",
    "build",
    "dist",
    "__pycache__",
    "node_modules",
    "site-packages",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".kerasrnnlint_cache",  # our own summary and result cache
)

TABLE = "kerasrnnlint"


class ConfigError(Exception):
    """A configuration file or flag that cannot be used (unknown key, bad value, unknown code)."""


@dataclass(frozen=True)
class Settings:
    select: frozenset[str] = field(default_factory=lambda: frozenset(r.code for r in ALL_RULES))
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    rule_options: RuleOptions = field(default_factory=RuleOptions)
    # Where the configuration came from; globs are relative to ``root`` (None: the working dir).
    config_file: str | None = None
    root: str | None = None
    force_exclude: bool = False  # apply excludes to paths named on the command line too
    probe_timeout: float | None = None  # ``probe-timeout`` (None: the probe's default)
    probe_min_severity: Severity | None = None  # ``probe-min-severity`` (None: the default)
    # What configuration discovery passed over and why (unreadable files), for the user.
    warnings: tuple[str, ...] = ()
    probe_backend: str | None = None  # ``probe-backend`` (None: auto)

    def codes_for(self, path: str) -> frozenset[str]:
        """The rule codes that apply to ``path`` (select minus ignore minus per-file-ignores)."""
        codes = set(self.select) - set(self.ignore)
        for pattern, ignored in self.per_file_ignores:
            if path_matches(path, pattern, self.root):
                codes -= ignored
        return frozenset(codes)

    @property
    def all_excludes(self) -> tuple[str, ...]:
        return self.exclude + self.extend_exclude

    def is_excluded(self, path: str) -> bool:
        """True when ``path`` (or its last component) matches an exclude glob."""
        names, name_globs, path_globs = _split_patterns(self.all_excludes)
        name = os.path.basename(os.path.normpath(path))
        if name in names or (name_globs is not None and name_globs.match(name)):
            return True
        return any(path_matches(path, pattern, self.root) for pattern in path_globs)


# --------------------------------------------------------------------------------------------------
# Globs
# --------------------------------------------------------------------------------------------------


def _relative_posix(path: str, root: str | None) -> str:
    """``path`` relative to ``root`` (or the working directory), with ``/`` separators."""
    base = os.path.abspath(root or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive on Windows
        return PurePath(full).as_posix()
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return PurePath(full).as_posix()
    return PurePath(rel).as_posix()


@functools.lru_cache(maxsize=32)
def _split_patterns(
    patterns: tuple[str, ...],
) -> tuple[frozenset[str], re.Pattern[str] | None, tuple[str, ...]]:
    """Exclude globs split for speed: literal names, one regex for name globs, path globs."""
    names: set[str] = set()
    name_globs: list[str] = []
    path_globs: list[str] = []
    for raw in patterns:
        pattern = raw.strip().replace(os.sep, "/").rstrip("/")
        if pattern.startswith("./"):
            pattern = pattern[2:]
        if not pattern:
            continue
        if "/" in pattern:
            path_globs.append(raw)
        elif any(c in pattern for c in "*?["):
            name_globs.append(fnmatch.translate(pattern))
        else:
            names.add(pattern)
    regex = re.compile("|".join(f"(?:{g})" for g in name_globs)) if name_globs else None
    return frozenset(names), regex, tuple(path_globs)


def path_matches(path: str, pattern: str, root: str | None = None) -> bool:
    """Does ``path`` match a ruff-style glob?

    A pattern without ``/`` matches the last component (``build``, ``*_pb2.py``); a pattern with
    ``/`` matches the path relative to the project root (``src/legacy/*``, ``tests/**/*.py``) or,
    from the right, the path as given.
    """
    pattern = pattern.strip()
    if not pattern:
        return False
    posix_pattern = pattern.replace(os.sep, "/").rstrip("/")
    if posix_pattern.startswith("./"):
        posix_pattern = posix_pattern[2:]
    name = os.path.basename(os.path.normpath(path))
    if "/" not in posix_pattern:
        return fnmatch.fnmatchcase(name, posix_pattern)
    rel = _relative_posix(path, root)
    if fnmatch.fnmatchcase(rel, posix_pattern):
        return True
    # ``**/`` may match no directory at all.
    if "**/" in posix_pattern and fnmatch.fnmatchcase(rel, posix_pattern.replace("**/", "")):
        return True
    try:
        return PurePosixPath(PurePath(path).as_posix()).match(posix_pattern)
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------------
# Rule selectors
# --------------------------------------------------------------------------------------------------


def resolve_selector(selector: str, where: str = "") -> frozenset[str]:
    """The rule codes a selector names: a code, a code prefix, ``ALL`` or a rule name."""
    text = selector.strip()
    if not text:
        raise ConfigError(f"{where}empty rule selector")
    if text.upper() == "ALL":
        return frozenset(r.code for r in ALL_RULES)
    by_name = BY_NAME.get(text.lower())
    if by_name is not None:
        return frozenset({by_name.code})
    upper = text.upper()
    codes = frozenset(r.code for r in ALL_RULES if r.code.startswith(upper))
    if not codes:
        known = ", ".join(r.code for r in ALL_RULES)
        raise ConfigError(
            f"{where}unknown rule selector {selector!r} (a code such as {known}, a code prefix "
            "such as KRL0, ALL, or a rule name)"
        )
    return codes


def resolve_selectors(selectors: Iterable[str], where: str = "") -> frozenset[str]:
    codes: set[str] = set()
    for selector in selectors:
        codes |= resolve_selector(selector, where)
    return frozenset(codes)


def split_list(text: str) -> list[str]:
    """``"KRL001, KRL002"`` -> ``["KRL001", "KRL002"]`` (flags take comma-separated lists)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_per_file_ignore(text: str) -> tuple[str, frozenset[str]]:
    """A ``--per-file-ignores`` flag value: ``"tests/*.py:KRL001,KRL002"``."""
    pattern, sep, codes = text.rpartition(":")
    if not sep or not pattern.strip():
        raise ConfigError(
            f"--per-file-ignores: expected GLOB:CODES (e.g. 'tests/*.py:KRL001'), got {text!r}"
        )
    return pattern.strip(), resolve_selectors(split_list(codes), "--per-file-ignores: ")


def parse_severity(value: object, where: str) -> Severity:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a severity string, got {value!r}")
    try:
        return Severity.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def parse_positive_float(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer beyond any float
        raise ConfigError(f"{where}: expected a positive number, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    return number


MAX_SECONDS = 1e6  # the longest probe timeout (11.6 days): longer ones overflow the clocks


def parse_seconds(value: object, where: str) -> float:
    """A positive number of seconds, at most :data:`MAX_SECONDS` (``1e12`` or ``1e300`` would
    pass as finite floats and then overflow a lock's or the clock's timeout)."""
    number = parse_positive_float(value, where)
    if number > MAX_SECONDS:
        raise ConfigError(f"{where}: expected at most {MAX_SECONDS:.0f} seconds, got {value!r}")
    return number


PROBE_BACKENDS: tuple[str, ...] = ("auto", "tensorflow", "jax", "torch")


def parse_probe_backend(value: object, where: str) -> str:
    if not isinstance(value, str) or value not in PROBE_BACKENDS:
        raise ConfigError(f"{where}: expected one of {', '.join(PROBE_BACKENDS)}, got {value!r}")
    return value


def _with_scalar_options(
    settings: Settings, values: Mapping[str, object], where: Callable[[str], str]
) -> Settings:
    """``settings`` with the scalar options ``values`` gives, each checked. The keys are the
    options' names in the table, which are also their flags' names without ``--``; ``where(key)``
    names an option in error messages. The table and the flags both read them here."""
    fail_on = settings.fail_on
    if "fail-on" in values:
        fail_on = parse_severity(values["fail-on"], where("fail-on"))
    options = settings.rule_options
    if "recurrent-dropout-max-lr" in values:
        key = "recurrent-dropout-max-lr"
        options = replace(
            options, recurrent_dropout_max_lr=parse_positive_float(values[key], where(key))
        )
    probe_timeout = settings.probe_timeout
    if "probe-timeout" in values:
        probe_timeout = parse_seconds(values["probe-timeout"], where("probe-timeout"))
    probe_backend = settings.probe_backend
    if "probe-backend" in values:
        probe_backend = parse_probe_backend(values["probe-backend"], where("probe-backend"))
    probe_min = settings.probe_min_severity
    if "probe-min-severity" in values:
        key = "probe-min-severity"
        probe_min = parse_severity(values[key], where(key))
    return replace(
        settings,
        fail_on=fail_on,
        rule_options=options,
        probe_timeout=probe_timeout,
        probe_min_severity=probe_min,
        probe_backend=probe_backend,
    )


# --------------------------------------------------------------------------------------------------
# The [tool.kerasrnnlint] table
# --------------------------------------------------------------------------------------------------

KNOWN_KEYS: tuple[str, ...] = (
    "select",
    "ignore",
    "extend-select",
    "per-file-ignores",
    "exclude",
    "extend-exclude",
    "force-exclude",
    "fail-on",
    "recurrent-dropout-max-lr",
    "probe-timeout",
    "probe-min-severity",
    "probe-backend",
)


def _string_list(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        raise ConfigError(f"{where}: expected a list of strings, got the string {value!r}")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return list(value)


def settings_from_table(
    table: Mapping[str, Any], source: str, root: str | None, base: Settings | None = None
) -> Settings:
    """Settings from a ``[tool.kerasrnnlint]`` table. ``source`` names the file in messages."""
    settings = base or Settings()
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(k) for k in unknown)} in [tool.{TABLE}] "
            f"(known keys: {', '.join(KNOWN_KEYS)})"
        )

    def where(key: str) -> str:
        return f"{source}: [tool.{TABLE}] {key}"

    def prefix(key: str) -> str:  # resolve_selector's messages follow the prefix directly
        return f"{where(key)}: "

    select = settings.select
    if "select" in table:
        select = resolve_selectors(_string_list(table["select"], where("select")), prefix("select"))
    if "extend-select" in table:
        key = "extend-select"
        select = select | resolve_selectors(_string_list(table[key], where(key)), prefix(key))
    ignore = settings.ignore
    if "ignore" in table:
        ignore = resolve_selectors(_string_list(table["ignore"], where("ignore")), prefix("ignore"))
    per_file = settings.per_file_ignores
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"{where('per-file-ignores')}: expected a table of glob = [codes], got {raw!r}"
            )
        entries = []
        for pattern, codes in raw.items():
            key = f"per-file-ignores.{pattern!r}"
            entries.append(
                (str(pattern), resolve_selectors(_string_list(codes, where(key)), prefix(key)))
            )
        per_file = tuple(entries)
    exclude = settings.exclude
    if "exclude" in table:
        exclude = tuple(_string_list(table["exclude"], where("exclude")))
    extend_exclude = settings.extend_exclude
    if "extend-exclude" in table:
        key = "extend-exclude"
        extend_exclude = extend_exclude + tuple(_string_list(table[key], where(key)))
    force_exclude = settings.force_exclude
    if "force-exclude" in table:
        value = table["force-exclude"]
        if not isinstance(value, bool):
            raise ConfigError(f"{where('force-exclude')}: expected true or false, got {value!r}")
        force_exclude = value
    settings = replace(
        settings,
        select=select,
        ignore=ignore,
        per_file_ignores=per_file,
        exclude=exclude,
        extend_exclude=extend_exclude,
        force_exclude=force_exclude,
        config_file=source,
        root=root,
    )
    return _with_scalar_options(settings, table, where)


# --------------------------------------------------------------------------------------------------
# Finding and reading pyproject.toml
# --------------------------------------------------------------------------------------------------


def _tomllib() -> Any:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,unused-ignore]
    return tomllib


def _read_config_bytes(path: Path) -> bytes:
    """The bytes of a configuration file; OSError when it cannot be read (a FIFO is refused
    without blocking)."""
    from kerasrnnlint.files import open_regular

    with open_regular(path) as handle:
        return handle.read()


def parse_toml(data: bytes, path: Path) -> dict[str, Any]:
    """Parse TOML bytes; :class:`ConfigError` naming ``path`` when they are not valid TOML."""
    tomllib = _tomllib()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply to read") from None
    return parsed


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (tomllib on 3.11+, tomli on 3.10)."""
    from kerasrnnlint.files import describe_os_error

    try:
        data = _read_config_bytes(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {describe_os_error(exc)}") from None
    return parse_toml(data, path)


def _tool_table(data: Mapping[str, Any], path: Path) -> Mapping[str, Any] | None:
    tool = data.get("tool")
    if not isinstance(tool, Mapping):
        return None
    table = tool.get(TABLE)
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    return table


def _has_table(path: Path, warnings: list[str] | None = None) -> bool:
    """Does this pyproject.toml configure kerasrnnlint? It is parsed, then looked into, so that
    every TOML form counts (``[tool]`` + ``kerasrnnlint = {...}``, ``[tool."kerasrnnlint"]``,
    dotted keys). A file that does not parse is ours when it names the tool (then loading it
    reports the error); one that cannot be read is skipped with a warning."""
    from kerasrnnlint.files import describe_os_error

    try:
        data = _read_config_bytes(path)
    except OSError as exc:
        if warnings is not None:
            warnings.append(
                f"{path}: cannot read ({describe_os_error(exc)}); any [tool.{TABLE}] settings "
                "in it are not applied"
            )
        return False
    try:
        parsed = parse_toml(data, path)
    except ConfigError:
        return TABLE.encode() in data
    tool = parsed.get("tool")
    return isinstance(tool, Mapping) and TABLE in tool


def find_config(start: Path, warnings: list[str] | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` upward from ``start`` with a ``[tool.kerasrnnlint]`` table.

    A directory that cannot be looked into (no search permission) or a pyproject.toml that cannot
    be read is passed over; ``warnings`` gets a line saying so."""
    from kerasrnnlint.files import describe_os_error

    try:
        directory = start if start.is_dir() else start.parent
    except OSError:
        directory = start.parent
    directory = Path(os.path.abspath(directory))
    for candidate in (directory, *directory.parents):
        path = candidate / "pyproject.toml"
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            if warnings is not None:
                warnings.append(
                    f"{path}: cannot look for configuration there ({describe_os_error(exc)}); "
                    "skipped"
                )
            continue
        if stat.S_ISREG(mode) and _has_table(path, warnings):
            return path
    return None


def load_config(path: Path, base: Settings | None = None) -> Settings:
    """Settings from one pyproject.toml (its ``[tool.kerasrnnlint]`` table; empty if absent)."""
    data = read_toml(path)
    table = _tool_table(data, path) or {}
    root = str(Path(os.path.abspath(path)).parent)
    return settings_from_table(table, str(path), root, base)


def discover_settings(
    start: Path | None = None, config: Path | None = None, isolated: bool = False
) -> Settings:
    """The settings for a run: ``config`` if named, else the nearest pyproject upward of
    ``start`` (or the working directory); defaults when ``isolated`` or none is found."""
    if isolated:
        return Settings()
    if config is not None:
        try:
            exists = config.is_file()
        except OSError:
            exists = True  # reading it names the cause
        if not exists:
            raise ConfigError(f"{config}: configuration file not found")
        return load_config(config)
    warnings: list[str] = []
    found = find_config(start if start is not None else Path.cwd(), warnings)
    settings = load_config(found) if found is not None else Settings()
    return replace(settings, warnings=tuple(warnings)) if warnings else settings


@dataclass(frozen=True)
class Overrides:
    """What flags set; None means "not given on the command line"."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    per_file_ignores: Sequence[str] | None = None
    exclude: Sequence[str] | None = None
    extend_exclude: Sequence[str] | None = None
    force_exclude: bool | None = None
    fail_on: str | None = None
    recurrent_dropout_max_lr: str | None = None
    probe_timeout: str | None = None
    probe_min_severity: str | None = None
    probe_backend: str | None = None


def apply_overrides(settings: Settings, flags: Overrides) -> Settings:
    """Flags over configuration, as in ruff: ``--select`` replaces the selection, ``--ignore`` and
    ``--extend-select`` add to it, ``--exclude`` and ``--per-file-ignores`` replace,
    ``--extend-exclude`` adds, scalar flags replace."""
    select = settings.select
    if flags.select is not None:
        select = resolve_selectors(flags.select, "--select: ")
    if flags.extend_select is not None:
        select = select | resolve_selectors(flags.extend_select, "--extend-select: ")
    ignore = settings.ignore
    if flags.ignore is not None:
        ignore = ignore | resolve_selectors(flags.ignore, "--ignore: ")
    per_file = settings.per_file_ignores
    if flags.per_file_ignores is not None:
        per_file = tuple(parse_per_file_ignore(v) for v in flags.per_file_ignores)
        # Flag globs are relative to the working directory, like the paths given with them.
    exclude = settings.exclude if flags.exclude is None else tuple(flags.exclude)
    extend_exclude = settings.extend_exclude + tuple(flags.extend_exclude or ())
    force_exclude = settings.force_exclude if flags.force_exclude is None else flags.force_exclude
    settings = replace(
        settings,
        select=select,
        ignore=ignore,
        per_file_ignores=per_file,
        exclude=exclude,
        extend_exclude=extend_exclude,
        force_exclude=force_exclude,
    )
    given = {
        "fail-on": flags.fail_on,
        "recurrent-dropout-max-lr": flags.recurrent_dropout_max_lr,
        "probe-timeout": flags.probe_timeout,
        "probe-min-severity": flags.probe_min_severity,
        "probe-backend": flags.probe_backend,
    }
    scalars = {key: value for key, value in given.items() if value is not None}
    return _with_scalar_options(settings, scalars, lambda key: f"--{key}")
