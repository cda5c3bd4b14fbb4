"""The sealed container: a zip with a manifest of SHA-256 digests, and its verification.

Nothing here touches the database, so ``verify_package`` runs wherever the zip goes (a court's
expert needs Python, or any ``unzip`` and ``sha256sum``: docs/evidence.md, "Verifying by hand").
The service layer adds the one check that needs the lender's database: that the manifest is
the one the audit log recorded at export.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
FORMAT = "autocollect-evidence/1"


class ProblemKind(StrEnum):
    CHANGED = "changed"
    MISSING = "missing"
    ADDED = "added"
    MANIFEST = "manifest"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a package: which file, and what."""

    path: str
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.path} ({self.detail})"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The manifest as stored: sorted keys, UTF-8, two-space indent, final newline; the same
    content always gives the same bytes (and so the same SHA-256 in the audit log)."""
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    return (text + "\n").encode("utf-8")


def file_entries(files: Mapping[str, bytes]) -> list[dict[str, Any]]:
    return [
        {"path": path, "sha256": sha256_hex(files[path]), "size": len(files[path])}
        for path in sorted(files)
    ]


def write_package(
    out_path: Path, *, files: Mapping[str, bytes], manifest: Mapping[str, Any], at: datetime
) -> bytes:
    """Write the zip: ``manifest.json`` first, then the files in path order, every entry
    stamped with the export time (so the same export gives the same bytes). Written beside
    the target and renamed, so a reader never sees half a package. Returns the manifest's
    bytes."""
    if MANIFEST_NAME in files:
        raise ValueError(f"{MANIFEST_NAME} is reserved")
    data = manifest_bytes(manifest)
    stamp = (max(at.year, 1980), at.month, at.day, at.hour, at.minute, at.second)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [(MANIFEST_NAME, data), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    partial.replace(out_path)
    return data


# What reading a damaged entry raises: a CRC mismatch (BadZipFile), deflate data that no longer
# decompresses (zlib.error, e.g. "invalid distance too far back"), data cut short (EOFError).
UNREADABLE_ENTRY = (zipfile.BadZipFile, zlib.error, EOFError, OSError)


def read_manifest(archive: zipfile.ZipFile) -> tuple[dict[str, Any], bytes]:
    """The manifest and its raw bytes; ``ValueError`` saying why when it cannot be used."""
    try:
        raw = archive.read(MANIFEST_NAME)
    except KeyError as exc:
        raise ValueError("the package has no manifest.json") from exc
    except UNREADABLE_ENTRY as exc:
        raise ValueError(f"manifest.json is unreadable: {exc}") from exc
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"manifest.json is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"manifest.json is not an {FORMAT} manifest")
    entries = manifest.get("files")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("path"), str)
        and isinstance(e.get("sha256"), str)
        and isinstance(e.get("size"), int)
        for e in entries
    ):
        raise ValueError("manifest.json has no valid file list")
    return manifest, raw


def verify_package(path: Path) -> tuple[list[Problem], dict[str, Any] | None, bytes]:
    """Check every file of the zip against the manifest. Returns the problems (empty when the
    package is intact), the manifest (``None`` when unreadable) and its raw bytes."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [Problem(str(path), ProblemKind.MANIFEST, f"not a readable zip: {exc}")], None, b""
    with archive:
        try:
            manifest, raw = read_manifest(archive)
        except ValueError as exc:
            return [Problem(MANIFEST_NAME, ProblemKind.MANIFEST, str(exc))], None, b""
        counts = Counter(info.filename for info in archive.infolist() if not info.is_dir())
        listed, problems = _listed(manifest)
        problems += _unlisted(counts, listed)
        for name, entry in sorted(listed.items()):
            problem = _entry_problem(archive, name, entry, in_zip=name in counts)
            if problem is not None:
                problems.append(problem)
    return problems, manifest, raw


def _listed(manifest: Mapping[str, Any]) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """The manifest's entries by path, and the paths it lists twice (or the manifest's own)."""
    problems: list[Problem] = []
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest["files"]:
        if entry["path"] in listed or entry["path"] == MANIFEST_NAME:
            problems.append(
                Problem(entry["path"], ProblemKind.MANIFEST, "listed twice in the manifest")
            )
        listed[entry["path"]] = entry
    return listed, problems


def _unlisted(counts: Counter[str], listed: Mapping[str, Any]) -> list[Problem]:
    """Files in the zip more than once, or not in the manifest."""
    problems: list[Problem] = []
    for name, count in sorted(counts.items()):
        if count > 1:
            problems.append(Problem(name, ProblemKind.ADDED, f"{count - 1} extra copy in the zip"))
        if name != MANIFEST_NAME and name not in listed:
            problems.append(Problem(name, ProblemKind.ADDED, "not in the manifest"))
    return problems


def _entry_problem(
    archive: zipfile.ZipFile, name: str, entry: Mapping[str, Any], *, in_zip: bool
) -> Problem | None:
    """What is wrong with one listed file: missing, unreadable or not what was sealed."""
    if not in_zip:
        return Problem(name, ProblemKind.MISSING, "in the manifest, not in the zip")
    try:
        content = archive.read(name)
    except UNREADABLE_ENTRY as exc:
        return Problem(name, ProblemKind.CHANGED, f"unreadable: {exc}")
    digest = sha256_hex(content)
    if digest != entry["sha256"] or len(content) != entry["size"]:
        return Problem(
            name,
            ProblemKind.CHANGED,
            f"sha256 {digest[:16]}…, manifest says {entry['sha256'][:16]}…",
        )
    return None
