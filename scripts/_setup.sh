# Shared by scripts/demo and scripts/test: a virtualenv in .venv with the pinned packages.
# Re-installs only when pyproject.toml or constraints.txt changed since the last install.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "autocollect needs Python 3.11 or newer on PATH (or PYTHON=/path/to/python)" >&2
    return 1
}

# $1: the extras to install ("" for the app, "dev" for tests and tools).
setup_venv() {
    local extras="$1" spec="." stamp
    [ -n "$extras" ] && spec=".[$extras]"
    if [ ! -x .venv/bin/python ]; then
        "$(find_python)" -m venv .venv
    fi
    stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)-${extras:-app}"
    if [ ! -f "$stamp" ]; then
        .venv/bin/python -m pip install --quiet --upgrade pip
        .venv/bin/python -m pip install --quiet -c constraints.txt -e "$spec"
        touch "$stamp"
    fi
}
