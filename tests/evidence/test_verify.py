"""Verifying a package: intact passes; one changed byte, an added file, a missing file, a
tampered or unreadable manifest each fail and name the file."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from autocollect.evidence.package import ProblemKind, manifest_bytes, sha256_hex, verify_package
from autocollect.evidence.services import evidence_export, evidence_verify
from autocollect.evidence.summary import SummaryContext
from tests.evidence.conftest import History

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the container, not the PDF (``test_summary_pdf`` renders it):
    a small stand-in PDF spares WeasyPrint's layout of every package."""
    import autocollect.evidence.services as services

    def stand_in(ctx: SummaryContext) -> bytes:
        return b"%PDF-1.4\n% summary of " + ctx.record.loan.contract_no.encode() + b"\n%%EOF\n"

    monkeypatch.setattr(services, "render_summary_pdf", stand_in)


@pytest.fixture
def package(history: History, tmp_path: Path) -> Path:
    out = tmp_path / "case.zip"
    evidence_export(case=history.case, out_path=out, actor="cli:tester")
    return out


def _rewrite(
    source: Path,
    target: Path,
    *,
    change: dict[str, bytes] | None = None,
    drop: tuple[str, ...] = (),
    add: dict[str, bytes] | None = None,
) -> Path:
    """A copy of the zip with entries replaced, dropped or added (what a forger would do)."""
    change = change or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            new.writestr(info, change.get(info.filename, old.read(info.filename)))
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def _flip_one_byte(data: bytes, at: int | None = None) -> bytes:
    position = len(data) // 2 if at is None else at
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_an_intact_package_verifies(package: Path) -> None:
    assert evidence_verify(package) == []


@pytest.mark.parametrize(
    "name", ["arrears.csv", "summary.pdf", "files/letters/letter-1.pdf", "files/voice/voice-1.wav"]
)
def test_one_changed_byte_of_one_file_fails_and_names_the_file(
    package: Path, tmp_path: Path, name: str
) -> None:
    with zipfile.ZipFile(package) as archive:
        original = archive.read(name)
    forged = _rewrite(package, tmp_path / "forged.zip", change={name: _flip_one_byte(original)})

    problems = evidence_verify(forged)

    assert [(p.path, p.kind) for p in problems] == [(name, ProblemKind.CHANGED)]


def test_a_byte_changed_inside_the_zip_itself_fails(package: Path, tmp_path: Path) -> None:
    """Editing the archive's bytes in place (no re-zipping): the entry no longer reads back
    as it was, and verification names it."""
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo("contacts.csv")
    data = bytearray(package.read_bytes())
    # The entry's data follows its 30-byte local header, name and extra field.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(data))

    problems = evidence_verify(damaged)

    assert [p.path for p in problems] == ["contacts.csv"]
    assert problems[0].kind is ProblemKind.CHANGED


def test_a_byte_changed_anywhere_in_an_entry_is_reported_not_raised(
    package: Path, tmp_path: Path
) -> None:
    """Whichever byte of the compressed data is changed, reading the entry fails one way or
    another (CRC mismatch, deflate data that no longer decompresses, data cut short): each is
    reported as that file changed, never raised."""
    with zipfile.ZipFile(package) as archive:
        info = archive.getinfo("contacts.csv")
    original = package.read_bytes()
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    positions = sorted({start + k * info.compress_size // 64 for k in range(64)})
    damaged = tmp_path / "damaged.zip"
    for position in positions:
        data = bytearray(original)
        data[position] ^= 0xFF
        damaged.write_bytes(bytes(data))

        problems, _manifest, _raw = verify_package(damaged)

        assert [(p.path, p.kind) for p in problems] == [("contacts.csv", ProblemKind.CHANGED)], (
            position - start
        )


def test_an_added_file_fails_and_is_named(package: Path, tmp_path: Path) -> None:
    forged = _rewrite(package, tmp_path / "forged.zip", add={"files/extra.pdf": b"%PDF-1.4"})
    problems = evidence_verify(forged)
    assert [(p.path, p.kind) for p in problems] == [("files/extra.pdf", ProblemKind.ADDED)]


def test_a_missing_file_fails_and_is_named(package: Path, tmp_path: Path) -> None:
    forged = _rewrite(package, tmp_path / "forged.zip", drop=("promises.csv",))
    problems = evidence_verify(forged)
    assert [(p.path, p.kind) for p in problems] == [("promises.csv", ProblemKind.MISSING)]


def test_a_manifest_with_one_hash_changed_fails_on_that_file_and_on_the_audit_log(
    package: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    entry = next(e for e in manifest["files"] if e["path"] == "payments.csv")
    entry["sha256"] = _flip_one_byte(entry["sha256"].encode(), at=0).decode()
    forged = _rewrite(
        package, tmp_path / "forged.zip", change={"manifest.json": manifest_bytes(manifest)}
    )

    problems = evidence_verify(forged)

    assert {(p.path, p.kind) for p in problems} == {
        ("payments.csv", ProblemKind.CHANGED),
        ("manifest.json", ProblemKind.MANIFEST),
    }


def test_a_manifest_rewritten_to_match_altered_files_is_caught_by_the_audit_log(
    package: Path, tmp_path: Path
) -> None:
    """A careful forger changes a file and recomputes its hash in the manifest: the package is
    self-consistent, but the manifest's SHA-256 is not the one the export recorded."""
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        arrears = archive.read("arrears.csv")
    altered = arrears.replace(b"\r\n", b"\r\n", 1) + b"2099-01-01,99,2099-01-01,0,1,0,0,1\r\n"
    entry = next(e for e in manifest["files"] if e["path"] == "arrears.csv")
    entry["sha256"], entry["size"] = sha256_hex(altered), len(altered)
    forged = _rewrite(
        package,
        tmp_path / "forged.zip",
        change={"arrears.csv": altered, "manifest.json": manifest_bytes(manifest)},
    )

    assert evidence_verify(forged, check_audit=False) == []
    problems = evidence_verify(forged)
    assert [(p.path, p.kind) for p in problems] == [("manifest.json", ProblemKind.MANIFEST)]


@pytest.mark.parametrize(
    "content", [b"{not json", json.dumps({"format": "something/else", "files": []}).encode()]
)
def test_an_unreadable_manifest_fails(package: Path, tmp_path: Path, content: bytes) -> None:
    forged = _rewrite(package, tmp_path / "forged.zip", change={"manifest.json": content})
    problems = evidence_verify(forged)
    assert [(p.path, p.kind) for p in problems] == [("manifest.json", ProblemKind.MANIFEST)]


def test_a_package_without_a_manifest_fails(package: Path, tmp_path: Path) -> None:
    forged = _rewrite(package, tmp_path / "forged.zip", drop=("manifest.json",))
    problems = evidence_verify(forged)
    assert [(p.path, p.kind) for p in problems] == [("manifest.json", ProblemKind.MANIFEST)]


def test_a_file_that_is_not_a_zip_fails(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    problems = evidence_verify(junk, check_audit=False)
    assert len(problems) == 1
    assert problems[0].kind is ProblemKind.MANIFEST


# --- the command line ---------------------------------------------------------------------


def test_the_command_exports_and_verifies_by_contract(
    history: History, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli.zip"
    call_command("evidence", "export", "--contract", "HT-EVID-0001", "--out", str(out))
    assert "manifest sha256" in capsys.readouterr().out
    call_command("evidence", "verify", str(out))
    assert "intact" in capsys.readouterr().out

    with zipfile.ZipFile(out) as archive:
        original = archive.read("schedule.csv")
    forged = _rewrite(out, tmp_path / "forged.zip", change={"schedule.csv": original[:-1]})
    with pytest.raises(CommandError, match="not intact"):
        call_command("evidence", "verify", str(forged))
    assert "changed: schedule.csv" in capsys.readouterr().err


def test_the_command_refuses_an_unknown_contract(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="HT-UNKNOWN"):
        call_command(
            "evidence", "export", "--contract", "HT-UNKNOWN", "--out", str(tmp_path / "x.zip")
        )


def test_the_command_checks_the_user_given(history: History, tmp_path: Path) -> None:
    from tests.factories import make_user

    make_user("collector.zhou")
    with pytest.raises(CommandError, match="not permitted"):
        call_command(
            "evidence",
            "export",
            "--contract",
            "HT-EVID-0001",
            "--out",
            str(tmp_path / "x.zip"),
            "--user",
            "collector.zhou",
        )


def test_offline_verification_exits_0_when_intact_and_1_naming_the_file(
    package: Path, tmp_path: Path
) -> None:
    """The real ``autocollect`` console command, as a court expert would run it on a copy,
    away from the lender's database: the exit status and the file named."""
    command = [sys.executable, "-m", "autocollect.cli", "evidence", "verify", "--offline"]
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"}
    intact = subprocess.run(
        [*command, str(package)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert intact.returncode == 0, intact.stderr
    assert "intact" in intact.stdout

    with zipfile.ZipFile(package) as archive:
        original = archive.read("loan.csv")
    forged = _rewrite(
        package, tmp_path / "forged.zip", change={"loan.csv": _flip_one_byte(original)}
    )
    broken = subprocess.run(
        [*command, str(forged)], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert broken.returncode == 1
    assert "changed: loan.csv" in broken.stderr
