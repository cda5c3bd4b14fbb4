"""Modules small enough to read in one sitting (DESIGN.md, style rule 10): no production file
over 600 lines, no function over 80 (from its first decorator to its last line). An exception
is listed here, in ``EXCEPTIONS``, with its reason; an exception that no longer applies fails
too, so the list never outlives its reasons. Complexity and statement counts are ruff's C901
and PLR0915 (pyproject.toml)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80

# "path" for a file, "path:function" for a function (nested names joined by "."): the reason.
EXCEPTIONS: dict[str, str] = {}


def production_files() -> list[Path]:
    files = [*(ROOT / "autocollect").rglob("*.py"), *(ROOT / "config").rglob("*.py")]
    return sorted(p for p in files if "migrations" not in p.parts)


def _functions(tree: ast.AST, prefix: str = "") -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                first = min([d.lineno for d in node.decorator_list] + [node.lineno])
                found.append((name, (node.end_lineno or node.lineno) - first + 1))
            found.extend(_functions(node, f"{name}."))
        else:
            found.extend(_functions(node, prefix))
    return found


def oversized() -> dict[str, int]:
    """Every file and function over its limit, with its length."""
    over: dict[str, int] = {}
    for path in production_files():
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = source.count("\n")
        if lines > MAX_FILE_LINES:
            over[relative] = lines
        for name, length in _functions(ast.parse(source)):
            if length > MAX_FUNCTION_LINES:
                over[f"{relative}:{name}"] = length
    return over


def test_no_file_or_function_passes_its_limit_unless_listed_with_a_reason() -> None:
    unlisted = {place: n for place, n in oversized().items() if place not in EXCEPTIONS}
    assert unlisted == {}, "split these (or list them in EXCEPTIONS with a reason)"


def test_every_listed_exception_still_applies_and_has_a_reason() -> None:
    over = oversized()
    stale = sorted(place for place in EXCEPTIONS if place not in over)
    assert stale == [], "these are within the limits now: remove them from EXCEPTIONS"
    assert all(reason.strip() for reason in EXCEPTIONS.values())


def test_the_measure_counts_decorators_and_nested_functions() -> None:
    source = "@decorate\ndef outer():\n    def inner():\n        return 1\n    return inner\n"
    assert _functions(ast.parse(source)) == [("outer", 5), ("outer.inner", 2)]
