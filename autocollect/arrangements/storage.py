"""Uploaded documents (signed confirmations, hardship proofs): checked, stored content-addressed
under the document directory, and fingerprinted with SHA-256.

A file is named by its hash, so the same bytes are stored once and a stored file that no longer
hashes to its name has been altered (``document_verify_integrity``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from autocollect.arrangements import conf
from autocollect.core.errors import ApplicationError

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
    limit = int(conf.get("DOCUMENT_MAX_BYTES"))
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
        raise ApplicationError("document path outside the document directory")
    return path


def document_intact(stored_path: str, sha256: str) -> bool:
    """Whether the stored file still hashes to the fingerprint taken at upload."""
    path = document_path(stored_path)
    if not path.exists():
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
