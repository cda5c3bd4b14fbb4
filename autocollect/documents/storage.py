"""The one document store of autocollect: every uploaded file (a loan's contract copy, signed
arrangement confirmations, hardship proofs, agencies' authorisation letters) is checked, stored
content-addressed under the document directory (``conf.document_dir()``, one sub-folder per kind
of document) and fingerprinted with SHA-256.

A file is named by its hash, so the same bytes are stored once and a stored file that no longer
hashes to its name has been altered (``document_intact``).

``document_download`` is the one way a stored document leaves the system through a page,
whatever app keeps it: checked against its fingerprint, the read audited, served as an
attachment. The rows that name a stored file (``stored_path``, ``sha256``) belong to the apps.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from autocollect.audit.services import audit_record
from autocollect.core.errors import ApplicationError
from autocollect.documents import conf

# Accepted kinds, recognised by their first bytes rather than by the name the browser sent.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "pdf", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
)


@dataclass(frozen=True)
class StoredDocument:
    original_name: str
    stored_path: str  # relative to the document directory
    sha256: str
    size_bytes: int
    content_type: str


def _sniff(head: bytes) -> tuple[str, str]:
    for magic, extension, content_type in _SIGNATURES:
        if head.startswith(magic):
            return extension, content_type
    raise ApplicationError(_("文件格式不支持：只接受 PDF、PNG 或 JPEG"))


def document_store(upload: UploadedFile, *, folder: str) -> StoredDocument:
    """Check and store one upload under ``<document dir>/<folder>/``."""
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
    extension, content_type = _sniff(data[:16])
    sha = digest.hexdigest()
    relative = Path(folder) / sha[:2] / f"{sha}.{extension}"
    target = conf.document_dir() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(target)
    name = Path(upload.name or f"document.{extension}").name[:255]
    return StoredDocument(
        original_name=name,
        stored_path=relative.as_posix(),
        sha256=sha,
        size_bytes=size,
        content_type=content_type,
    )


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
    of shared caches. Django writes ``filename*=utf-8''…`` for a non-ASCII (Chinese) name."""
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
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
        if digest.hexdigest() != sha256:
            raise ApplicationError(message)
        handle.seek(0)
        audit_record(actor=actor, action=action, obj=row, after={"sha256": sha256})
    except BaseException:
        handle.close()
        raise
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name or path.name,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
