"""The floors of the house (docs/architecture.md, "Layers"): every package has a floor in the
import-linter contract that ``scripts/test`` enforces (``lint-imports``), and what a higher floor
contributes to a lower one goes through the hooks declared in ``core/hooks.py``."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

from autocollect.core import hooks

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "autocollect"


def floors() -> list[set[str]]:
    """The layers of the floors contract, top first, each a set of module names."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    layers = config["importlinter:contract:floors"]["layers"].split("\n")
    return [{name.strip() for name in line.split("|")} for line in layers if line.strip()]


def packages() -> set[str]:
    """Every module directly under ``autocollect``: the apps and ``cli``."""
    found = {f"autocollect.{p.name}" for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    found |= {f"autocollect.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return found


def test_every_package_has_a_floor_and_only_one() -> None:
    placed = [name for layer in floors() for name in layer]
    assert len(placed) == len(set(placed)), "a package is on two floors"
    assert packages() <= set(placed), f"not on any floor: {sorted(packages() - set(placed))}"


def test_the_engine_is_the_ground_floor_and_the_demo_the_top_app() -> None:
    names = [layer for layer in floors()]
    assert names[-1] == {"autocollect.engine"}
    assert {"autocollect.demo"} in names[:3]


def test_the_contracts_hold() -> None:
    """``lint-imports`` exits 0: no import climbs a floor, siblings do not import each other
    (so no app-level cycle), and the engine imports neither Django nor any app."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_each_hook_has_the_apps_that_take_part_in_it() -> None:
    assert set(hooks.cycle_date_judged.registered()) == {"arrangements", "audit"}
    assert set(hooks.case_evidence.registered()) == {
        "arrangements",
        "hardship",
        "legal",
        "hardcases",
    }


def test_a_hook_calls_every_function_with_its_arguments_by_key() -> None:
    hook = hooks.Hook("example")
    hook.register("a", lambda *, n: n + 1)
    hook.register("b", lambda *, n: n * 2)
    hook.register("a", lambda *, n: n + 10)  # registering again replaces
    assert hook.call(n=5) == {"a": 15, "b": 10}
    hook.unregister("b")
    assert hook.registered() == ("a",)


def test_no_app_is_imported_inside_a_function_outside_apps_py() -> None:
    """A deferred import hides a cycle without removing it: imports of autocollect modules sit
    at the top of a module, except in an app's ``apps.py`` (which Django imports before the
    models exist: ``AppConfig.ready()`` registers hooks and menu entries there, signal
    handlers read models) and in migrations."""
    import ast

    deferred = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path.name == "apps.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                elif isinstance(node, ast.Import):
                    module = node.names[0].name
                else:
                    continue
                if module.startswith(("autocollect", "config")):
                    deferred.append(f"{path.relative_to(ROOT)}:{node.lineno} {module}")
    assert deferred == []
