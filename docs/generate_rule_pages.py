"""Write the rule pages, docs/rules/KRL001.md …, from the rules' docstrings and options.

python docs/generate_rule_pages.py          # (re)write docs/rules/
python docs/generate_rule_pages.py --check  # exit 1 when a page is stale, missing or extra
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RULES_DIR = Path(__file__).resolve().parent / "rules"


def stale(directory: Path = RULES_DIR) -> list[str]:
    """The pages that differ from what the rules generate (missing, changed or left over)."""
    from kerasrnnlint.rule_pages import pages

    wanted = pages()
    found = {p.name for p in directory.glob("*.md")} if directory.is_dir() else set()
    out = [name for name, text in wanted.items() if not _same(directory / name, text)]
    return sorted(out + sorted(found - set(wanted)))


def _same(path: Path, text: str) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8") == text


def write(directory: Path = RULES_DIR) -> list[str]:
    from kerasrnnlint.rule_pages import pages

    directory.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for name in {p.name for p in directory.glob("*.md")} - set(wanted):
        (directory / name).unlink()
    changed = []
    for name, text in wanted.items():
        if not _same(directory / name, text):
            (directory / name).write_text(text, encoding="utf-8", newline="\n")
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    if args.check:
        names = stale()
        for name in names:
            print(f"docs/rules/{name} is stale: run python docs/generate_rule_pages.py")
        return 1 if names else 0
    for name in write():
        print(f"wrote docs/rules/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
