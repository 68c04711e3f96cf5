"""Imports inside functions must say why they are there: ``python scripts/inner_imports.py [paths]``.

An import inside a function hides a dependency from a reader of the module's head (and, once,
hid imports that ran against the dependency rule). Some are right — a heavy module only one
command needs, a test's setup — so each one carries a comment on its line or the line above
saying why. Prints the ones that don't and exits 1; ``import-linter`` checks where they point.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = (
    "accounts",
    "catalog",
    "mood",
    "spotify",
    "recommender",
    "chat",
    "standins",
    "personalais",
    "tests",
)
SKIPPED_PARTS = {"migrations", "__pycache__"}


def inner_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports anywhere inside a function body, outside ``if TYPE_CHECKING:`` blocks."""
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for statement in function.body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        yield node


def unexplained(path: Path, *, root: Path = ROOT) -> list[str]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = set()
    for node in inner_imports(ast.parse(source)):
        if not _explained(lines, node.lineno - 1):
            found.add(f"{path.relative_to(root)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(found, key=lambda entry: int(entry.split(":")[1]))


def _explained(lines: list[str], index: int) -> bool:
    """A comment on the import's line, or on the line above it or above the run of imports it ends."""
    if "#" in lines[index]:
        return True
    while index > 0:
        above = lines[index - 1].strip()
        if above.startswith("#"):
            return True
        if not above.startswith(("import ", "from ")):
            return False
        index -= 1
    return False


def python_files(roots: Iterable[Path]) -> Iterator[Path]:
    for root in roots:
        for path in sorted(root.rglob("*.py") if root.is_dir() else [root]):
            if not SKIPPED_PARTS & set(path.parts):
                yield path


def main(argv: list[str]) -> int:
    roots = [Path(arg).resolve() for arg in argv] or [ROOT / name for name in CHECKED]
    problems = [problem for path in python_files(roots) for problem in unexplained(path)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"\n{len(problems)} import(s) inside functions without a reason: add a short '# why' comment.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
