"""Contact policy packs as files: the built-in packs under ``policies/`` and a lender's own.

A pack is a YAML file (format and meaning of every rule kind: ``docs/compliance.md``). This
module finds and reads the files, follows ``extends`` from file to file and keeps each compiled
pack once per process; what a pack may say, and how one extends another, is the engine's
(``autocollect.engine.policy_pack``), and so is the compiled ``Policy`` the gates decide with
(``autocollect.engine.policy``). A pack that cannot be used is a ``PolicyError`` naming the
file, the rule and the field.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from autocollect.core.errors import ApplicationError
from autocollect.engine.policy import Policy
from autocollect.engine.policy_pack import (
    PACK_NAME,
    Pack,
    PackError,
    PackSpec,
    pack_compile,
    pack_parse,
)

POLICIES_DIR = Path(__file__).resolve().with_name("policies")


class PolicyError(ApplicationError):
    """A pack is missing or invalid; the message names the file, the rule and the field."""


def _read(path: Path) -> PackSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy pack: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        spec = pack_parse(raw, file=path.name)
    except PackError as exc:
        raise PolicyError(str(exc)) from exc
    if spec.pack != path.stem:
        raise PolicyError(
            f"{path.name}: top level: field pack: {spec.pack!r} does not match the file name"
        )
    return spec


def _extends_path(path: Path, name: str) -> Path:
    """A pack extends a pack beside it, or else a built-in one."""
    beside = path.with_name(f"{name}.yaml")
    return beside if beside.is_file() else POLICIES_DIR / f"{name}.yaml"


def _load(path: Path, chain: tuple[Path, ...]) -> Pack:
    if path in chain:
        names = " → ".join(p.stem for p in (*chain, path))
        raise PolicyError(f"{chain[-1].name}: top level: field extends: circular ({names})")
    spec = _read(path)
    parent = None
    if spec.extends is not None:
        parent_path = _extends_path(path, spec.extends)
        if not parent_path.is_file():
            raise PolicyError(
                f"{path.name}: top level: field extends: no pack named {spec.extends!r}"
            )
        parent = _load(parent_path, (*chain, path))
    try:
        return pack_compile(spec, file=path.name, parent=parent)
    except PackError as exc:
        raise PolicyError(str(exc)) from exc


@cache
def _load_file(path: Path) -> Policy:
    return _load(path, ()).policy


def policy_path(name_or_path: str | Path) -> Path:
    """A built-in pack's name (``cn``, ``us-reg-f``) or the path of a pack file."""
    if isinstance(name_or_path, Path) or "/" in name_or_path or name_or_path.endswith(".yaml"):
        return Path(name_or_path).resolve()
    if not re.match(PACK_NAME, name_or_path):
        raise PolicyError(f"{name_or_path!r} is neither a pack name nor a .yaml path")
    return POLICIES_DIR / f"{name_or_path}.yaml"


def load_policy(name_or_path: str | Path) -> Policy:
    """Read, validate and compile a pack (and the packs it extends), once per process."""
    return _load_file(policy_path(name_or_path))


def builtin_policies() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in POLICIES_DIR.glob("*.yaml")))
