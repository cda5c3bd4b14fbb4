"""The acceptance scan (issue 6): after a demo run, no national ID and no phone number of the
demo appears in clear anywhere in the database file or in the log.

The demo runs as the README runs it (``autocollect demo … --no-serve``, the local settings,
SQLite under the var directory), small, in its own process, with every log record written to a
file (``demo_settings``). Then the raw bytes of the SQLite file, its WAL and the Huey queue
database, and the log and the console output, are searched for every demo ID (as imported and
with a lower-case x) and every demo mobile (11 digits and E.164).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from autocollect.demo import DEFAULT_SEED, generate

ROOT = Path(__file__).resolve().parents[2]
LOANS = 200
DAYS = 3
AS_OF = date(2026, 11, 29)


def _needles() -> dict[str, set[str]]:
    book = generate(loans=LOANS, seed=DEFAULT_SEED, as_of=AS_OF)
    ids = set(book.loans["national_id"].to_list())
    mobiles = set(book.loans["mobile"].to_list()) | {
        m for m in book.loans["emergency_contact_mobile"].to_list() if m
    }
    emails = {e for e in book.loans["email"].to_list() if e}
    return {
        "national ID": ids | {i.replace("X", "x") for i in ids},
        "phone number": mobiles | {f"+86{m}" for m in mobiles},
        "e-mail address": emails,
        "name": set(book.loans["borrower_name"].to_list()),
    }


# A demo is built in a subprocess for this module (about 30 s).
pytestmark = pytest.mark.slow


def _found(data: bytes, needles: set[str]) -> list[str]:
    return sorted(n for n in needles if n.encode("utf-8") in data)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("demo-var")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # SQLite, as the README
    env.update(
        DJANGO_SETTINGS_MODULE="tests.privacy.demo_settings",
        AUTOCOLLECT_VAR_DIR=str(var),
    )
    for name in ("AUTOCOLLECT_FIELD_KEYS", "AUTOCOLLECT_BLIND_INDEX_KEY"):
        env.pop(name, None)  # the development keys the README's demo uses
    command = [
        sys.executable,
        "-m",
        "autocollect.cli",
        "demo",
        "--loans",
        str(LOANS),
        "--days",
        str(DAYS),
        "--as-of",
        AS_OF.isoformat(),
        "--no-serve",
    ]
    with (var / "demo.out").open("wb") as out:
        done = subprocess.run(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1200
        )
    assert done.returncode == 0, (var / "demo.out").read_text(errors="replace")[-3000:]
    return var


def test_the_demo_wrote_what_the_scan_is_about(demo_run: Path) -> None:
    # Contacts, calls, gate decisions and messages exist: the scan looks at real rows.
    with sqlite3.connect(demo_run / "autocollect.sqlite3") as db:
        counts = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in (
                "portfolio_borrower",
                "portfolio_contactpoint",
                "cases_interaction",
                "compliance_contactdecision",
                "channels_outboxmessage",
            )
        }
    assert counts["portfolio_borrower"] == LOANS
    assert all(n > 0 for n in counts.values()), counts
    log = (demo_run / "demo.log").read_text(encoding="utf-8")
    assert "loans write contact points" in log  # DEBUG records reached the file


def test_no_demo_national_id_or_phone_number_is_in_clear_in_the_database_or_the_log(
    demo_run: Path,
) -> None:
    needles = _needles()
    files = [
        demo_run / name
        for name in (
            "autocollect.sqlite3",
            "autocollect.sqlite3-wal",
            "huey.sqlite3",
            "huey.sqlite3-wal",
            "demo.log",
            "demo.out",
        )
    ]
    scanned = [f for f in files if f.exists()]
    assert demo_run / "autocollect.sqlite3" in scanned
    assert demo_run / "demo.log" in scanned
    # The search finds clear text where there is some: borrower names are not encrypted.
    database = (demo_run / "autocollect.sqlite3").read_bytes()
    assert len(_found(database, needles["name"])) > LOANS // 2
    leaks = {
        f"{path.name}: {kind}": _found(path.read_bytes(), needles[kind])[:5]
        for path in scanned
        for kind in ("national ID", "phone number", "e-mail address")
    }
    assert {where: found for where, found in leaks.items() if found} == {}
