"""Inside an app the same file roles everywhere (docs/architecture.md, "File roles"): the table
there says which roles each app has, and this test holds it against the tree both ways — a
file the table does not list fails, and so does a role the table claims and the app lacks.
The test folders mirror the apps too."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "autocollect"
DOC = ROOT / "docs" / "architecture.md"

# Each role is a module or a package of topic modules of that name.
ROLES = (
    "models",
    "services",
    "selectors",
    "permissions",
    "api",
    "schemas",
    "views",
    "forms",
    "tasks",
    "admin",
    "conf",
)
YES, NO = "✓", "—"


def apps() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def has_role(app: str, role: str) -> bool:
    return (PACKAGE / app / f"{role}.py").is_file() or (PACKAGE / app / role).is_dir()


def documented() -> dict[str, dict[str, bool]]:
    """The "File roles" table: app → role → listed."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## File roles", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    header = next(line for line in section.splitlines() if line.startswith("| app"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    assert tuple(columns) == ROLES, f"the table's columns must be {ROLES}"
    table: dict[str, dict[str, bool]] = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        app = re.sub(r"[`]", "", cells[0])
        assert all(c in (YES, NO) for c in cells[1:]), f"{app}: cells are {YES} or {NO}"
        table[app] = {role: cell == YES for role, cell in zip(ROLES, cells[1:], strict=True)}
    return table


def test_every_app_has_a_row() -> None:
    assert sorted(documented()) == apps()


def test_the_table_says_what_each_app_holds() -> None:
    table = documented()
    wrong = [
        f"{app}: {role} is {'listed but missing' if listed else 'present but not listed'}"
        for app in apps()
        for role, listed in table[app].items()
        if listed != has_role(app, role)
    ]
    assert wrong == []


def test_the_tests_mirror_the_apps() -> None:
    folders = {p.name for p in (ROOT / "tests").iterdir() if (p / "__init__.py").is_file()}
    assert folders - {"house"} <= set(apps()), "a test folder that is not an app (or house)"
