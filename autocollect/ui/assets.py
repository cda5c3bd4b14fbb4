"""Scripts an app loads on every page (``ui/base.html``), registered in its ``AppConfig.ready()``:
the workbench's keyboard shortcuts (``g q`` back to the queue from any page) live with the
workbench, not in ``ui``."""

from __future__ import annotations

_SCRIPTS: list[str] = []


def script_register(static_path: str) -> None:
    """Load the static file ``static_path`` (``"workbench/workbench.js"``) on every page, once."""
    if static_path not in _SCRIPTS:
        _SCRIPTS.append(static_path)


def page_scripts() -> tuple[str, ...]:
    return tuple(_SCRIPTS)
