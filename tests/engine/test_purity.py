"""The engine imports neither Django nor any other autocollect package.

Every module of ``autocollect.engine`` is imported in a fresh interpreter where ``django`` and
every ``autocollect.<package>`` other than the engine cannot be imported (an import hook
refuses them), and one small computation runs there: the gate, the batch gate and loan math.
A second check reads every engine module's source, so that an import deferred into a function
(which importing the module does not run) is caught as well.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import autocollect.engine

ENGINE_DIR = Path(autocollect.engine.__file__).resolve().parent
REPOSITORY = ENGINE_DIR.parents[1]

SCRIPT = textwrap.dedent(
    """
    import importlib
    import importlib.abc
    import pkgutil
    import sys


    def blocked(name):
        if name == "django" or name.startswith("django."):
            return True
        if not name.startswith("autocollect."):
            return False
        return not (name == "autocollect.engine" or name.startswith("autocollect.engine."))


    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if blocked(name):
                raise ImportError(f"the engine may not import {name}")
            return None


    for name in [name for name in sys.modules if blocked(name)]:
        sys.modules[name] = None
    sys.meta_path.insert(0, Refuse())

    # The hook works: what it refuses cannot be imported.
    for name in ("django", "django.db", "autocollect.core", "autocollect.compliance.policy"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"the hook let {name} through")

    import autocollect.engine

    modules = sorted(
        info.name
        for info in pkgutil.walk_packages(autocollect.engine.__path__, "autocollect.engine.")
    )
    for name in modules:
        importlib.import_module(name)

    from datetime import UTC, date, datetime
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    import polars as pl

    from autocollect.engine import frames
    from autocollect.engine.gate import Check, decide
    from autocollect.engine.gating import gate_frame
    from autocollect.engine.loanmath import build_schedule
    from autocollect.engine.policy_pack import pack_compile, pack_parse

    pack = {
        "pack": "tiny",
        "title": "a tiny pack",
        "jurisdiction": "XX",
        "rules": [
            {
                "id": "tiny.window",
                "kind": "contact_window",
                "start": "08:00",
                "end": "22:00",
                "channels": ["call"],
                "reason": {"zh": "时间", "en": "time"},
                "source": "test",
            }
        ],
    }
    policy = pack_compile(pack_parse(pack, file="tiny.yaml"), file="tiny.yaml").policy
    at = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    check = Check(at, "call", "borrower", "13800000001")
    single = decide(policy, check, [], timezone=ZoneInfo("Asia/Shanghai"))
    checks = pl.DataFrame(
        [
            {
                "case_id": 1,
                "check_id": 1,
                "at": at,
                "timezone": "Asia/Shanghai",
                "channel": "call",
                "party": "borrower",
                "number": "13800000001",
                "agent_authorised": True,
            }
        ],
        schema=dict(frames.CHECKS),
    )
    batch = gate_frame(policy, checks, pl.DataFrame(schema=dict(frames.EVENTS))).row(0, named=True)
    assert single.rules == ("tiny.window",) and batch["rules"] == ["tiny.window"]
    tomorrow_0800 = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
    assert batch["next_allowed_at"] == single.next_allowed_at == tomorrow_0800
    schedule = build_schedule(
        principal_fen=10_000_000,
        annual_rate=Decimal("0.06"),
        term=12,
        method="equal_installment",
        first_due_on=date(2026, 4, 15),
    )
    assert sum(row.principal_fen for row in schedule) == 10_000_000

    leaked = sorted(name for name, module in sys.modules.items() if module and blocked(name))
    if leaked:
        raise SystemExit(f"imported: {leaked}")
    print(len(modules))
    """
)


def _refused(name: str) -> bool:
    if name == "django" or name.startswith("django."):
        return True
    engine = name == "autocollect.engine" or name.startswith("autocollect.engine.")
    return name.startswith("autocollect.") and not engine


def test_every_engine_module_imports_and_computes_without_django_or_the_apps() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr or result.stdout
    modules = [path for path in ENGINE_DIR.glob("*.py") if path.name != "__init__.py"]
    assert int(result.stdout.split()[-1]) == len(modules)


def _imported(node: ast.AST) -> list[str]:
    """The modules an import statement names; one outside the engine's package when relative
    imports climb out of it."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level > 1:
        return [f"autocollect.{node.module or ''} (relative import out of the engine)"]
    if node.level == 1 or not node.module:
        return []
    return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]


def test_no_engine_module_imports_django_or_an_app_even_inside_a_function() -> None:
    found = [
        f"{path.name}:{getattr(node, 'lineno', '?')} {name}"
        for path in sorted(ENGINE_DIR.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        for name in _imported(node)
        if _refused(name)
    ]
    assert not found
