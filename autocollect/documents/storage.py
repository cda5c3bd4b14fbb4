"""The one document store of autocollect: every uploaded file (a loan's contract copy, signed
arrangement confirmations, hardship proofs, agencies' authorisation letters) is checked, stored
content-addressed under the document directory (``conf.document_dir()``, one sub-folder per kind
of document) and fingerprinted with SHA-256.

A file is named by its hash, so the same bytes are stored once and a stored file that no longer
hashes to its name has been altered (``document_intact``). Its extension, and the name it is
downloaded under, come from the type its first bytes show (``%PDF-``, PNG, JPEG), never from the
name the uploader gave: ``x.html`` holding a PDF is kept and served as ``x.pdf``,
``application/pdf``; content of any other type is refused.

**No file without its row.** A use case that stores documents runs in ``document_atomic()``
(``transaction.atomic`` that also owns the files written in it), checks its state with the row
locked, and only then calls ``document_store``. The file is written under a pending name in
``<document dir>/.pending/`` and takes its content-addressed name when the block succeeds; if
the block raises, the pending file is deleted. What a crash or an enclosing transaction that
rolls back later can still leave behind, ``documents_sweep`` removes (``autocollect documents
sweep``, and a periodic task): pending files, and stored files that no row names, once they
are older than ``conf.sweep_after()``. It knows which rows name files because each app that
keeps documents registers its folder and model (``document_folder_register``, in its
``AppConfig.ready()``); ``document_store`` refuses a folder nobody registered.

``document_download`` is the one way a stored document leaves the system through a page,
whatever app keeps it: checked against its fingerprint, the read audited, served as an
attachment with the type its bytes show. The rows that name a stored file (``stored_path``,
``sha256``) belong to the apps.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.core import clock
from autocollect.core.errors import ApplicationError
from autocollect.documents import conf

# Accepted kinds, recognised by their first bytes rather than by the name the browser sent.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)
PENDING = ".pending"


@dataclass(frozen=True)
class StoredDocument:
    original_name: str  # the uploader's name, with the extension of the detected type
    stored_path: str  # relative to the document directory
    sha256: str
    size_bytes: int
    content_type: str


@dataclass(frozen=True)
class _Owner:
    model: type[models.Model]
    field: str


_FOLDERS: dict[str, list[_Owner]] = {}


def document_folder_register(
    folder: str, model: type[models.Model], field: str = "stored_path"
) -> None:
    """Declare that rows of ``model`` name the files stored under ``folder`` in ``field``
    (a path relative to the document directory). Called from the app's ``ready()``."""
    owners = _FOLDERS.setdefault(folder, [])
    owner = _Owner(model, field)
    if owner not in owners:
        owners.append(owner)


def registered_folders() -> dict[str, list[tuple[type[models.Model], str]]]:
    return {folder: [(o.model, o.field) for o in owners] for folder, owners in _FOLDERS.items()}


def sniff(head: bytes) -> tuple[str, str]:
    """``(extension, content type)`` of the first bytes, or ``ApplicationError``."""
    for magic, extension, content_type in _SIGNATURES:
        if head.startswith(magic):
            return extension, content_type
    raise ApplicationError(_("文件格式不支持：只接受 PDF、PNG 或 JPEG"))


def named_as(name: str, extension: str) -> str:
    """``name`` with the extension of the detected type: ``x.html`` → ``x.pdf``."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip() or "document"
    stem = base.rsplit(".", 1)[0] if "." in base.strip(".") else base.strip(".")
    stem = stem or "document"
    return f"{stem[: 250 - len(extension)]}.{extension}"


# Staging --------------------------------------------------------------------------------------


@dataclass
class _Stage:
    """The files written inside one ``document_atomic`` block: (pending, final) paths."""

    files: list[tuple[Path, Path]] = field(default_factory=list)


_stage: ContextVar[_Stage | None] = ContextVar("document_stage", default=None)


@contextmanager
def document_atomic() -> Iterator[None]:
    """``transaction.atomic()`` for a use case that stores documents (also a decorator:
    ``@document_atomic()``). Files that ``document_store`` writes inside take their stored
    names when the block succeeds (inside its transaction, before it commits) or, inside an
    enclosing ``document_atomic``, when that one does; when the block raises they are deleted.
    """
    outer = _stage.get()
    stage = _Stage()
    token = _stage.set(stage)
    try:
        with transaction.atomic():
            yield
            if outer is None:
                for pending, final in stage.files:
                    _promote(pending, final)
    except BaseException:
        for pending, _final in stage.files:
            pending.unlink(missing_ok=True)
        raise
    finally:
        _stage.reset(token)
    if outer is not None:
        outer.files.extend(stage.files)


def _promote(pending: Path, final: Path) -> None:
    final.parent.mkdir(parents=True, exist_ok=True)
    # Same bytes under the same name: replacing a file already there changes nothing, and it
    # is fresh again for the sweep.
    os.replace(pending, final)


def document_store(upload: UploadedFile, *, folder: str) -> StoredDocument:
    """Check and store one upload under ``<document dir>/<folder>/``.

    Call it inside ``document_atomic()``, after the use case's state checks: the file is
    pending until the block succeeds and deleted if it raises."""
    stage = _stage.get()
    if stage is None:
        raise RuntimeError("document_store runs inside document_atomic()")
    if folder not in _FOLDERS:
        raise RuntimeError(f"document folder {folder!r} is not registered")
    limit = conf.max_bytes()
    size = upload.size or 0
    if size == 0:
        raise ApplicationError(_("文件为空"))
    if size > limit:
        raise ApplicationError(_("文件过大（上限 %(mb)s MB）") % {"mb": limit // (1024 * 1024)})
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    for chunk in upload.chunks():
        digest.update(chunk)
        chunks.append(chunk)
    data = b"".join(chunks)
    extension, content_type = sniff(data[:16])
    sha = digest.hexdigest()
    relative = Path(folder) / sha[:2] / f"{sha}.{extension}"
    root = conf.document_dir()
    pending = root / PENDING / f"{uuid.uuid4().hex}.{extension}"
    pending.parent.mkdir(parents=True, exist_ok=True)
    stage.files.append((pending, root / relative))
    pending.write_bytes(data)
    return StoredDocument(
        original_name=named_as(upload.name or "", extension),
        stored_path=relative.as_posix(),
        sha256=sha,
        size_bytes=size,
        content_type=content_type,
    )


@dataclass(frozen=True)
class SweepReport:
    pending: list[str]  # pending files removed (relative paths)
    unreferenced: list[str]  # stored files no row names, removed


def documents_sweep(*, older_than: timedelta | None = None, dry_run: bool = False) -> SweepReport:
    """Remove what no row names: pending files, and stored files under a registered folder
    that no registered row names, both only once older than ``older_than`` (default
    ``conf.sweep_after()``), so that a use case still running keeps its file."""
    age = older_than if older_than is not None else conf.sweep_after()
    cutoff = (clock.now() - age).timestamp()
    root = conf.document_dir()
    pending = [p for p in _files(root / PENDING) if p.stat().st_mtime < cutoff]
    unreferenced: list[Path] = []
    for folder, owners in _FOLDERS.items():
        old = [p for p in _files(root / folder) if p.stat().st_mtime < cutoff]
        if not old:
            continue
        named: set[str] = set()
        for owner in owners:
            named.update(owner.model._default_manager.values_list(owner.field, flat=True))
        unreferenced += [p for p in old if p.relative_to(root).as_posix() not in named]
    if not dry_run:
        for path in [*pending, *unreferenced]:
            path.unlink(missing_ok=True)
    return SweepReport(
        pending=[p.relative_to(root).as_posix() for p in pending],
        unreferenced=[p.relative_to(root).as_posix() for p in unreferenced],
    )


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def document_path(stored_path: str) -> Path:
    root = conf.document_dir().resolve()
    path = (root / stored_path).resolve()
    if root not in path.parents:
        raise ApplicationError(_("文件路径不在文件目录内"))
    return path


def document_intact(stored_path: str, sha256: str) -> bool:
    """Whether the stored file still hashes to the fingerprint taken at upload."""
    path = document_path(stored_path)
    if not path.exists():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == sha256


@transaction.atomic
def document_download(
    row: models.Model,
    *,
    stored_path: str,
    sha256: str,
    name: str,
    content_type: str,
    actor: str,
    action: str,
    refusal: str = "",
) -> FileResponse:
    """The stored file of ``row`` as a download, when it still hashes to ``sha256``; the read
    is audited as ``action`` (actor, ``row``, the SHA-256).

    A file gone from disk or altered since upload raises ``ApplicationError`` (``refusal``, or
    a generic message) and nothing is served or audited. The hash is taken from the very handle
    that is then streamed, so a file swapped between the check and the download is not served.

    Always an attachment, never inline: these files are evidence and personal data, recognised
    at upload only by their first bytes; rendering one in the browser on our origin would trust
    that more than we checked. ``nosniff`` keeps the declared type; ``no-store`` keeps a copy out
    of shared caches. Django writes ``filename*=utf-8''…`` for a non-ASCII (Chinese) name.

    The type served and the name's extension are those the file's first bytes show, whatever
    the row says (``content_type`` is kept for callers; rows stored before names followed the
    type still download as what they are)."""
    message = refusal or _("文件缺失或已被改动，与上传时的 SHA-256 不符，不予提供")
    if not stored_path:
        raise ApplicationError(message)
    path = document_path(stored_path)
    try:
        handle = path.open("rb")
    except OSError:
        raise ApplicationError(message) from None
    try:
        digest = hashlib.sha256()
        head = handle.read(16)
        digest.update(head)
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise ApplicationError(message)
        extension, detected = sniff(head)
        handle.seek(0)
        audit_record(actor=actor, action=action, obj=row, after={"sha256": sha256})
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=named_as(name or path.name, extension),
        content_type=detected,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
