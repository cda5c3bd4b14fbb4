"""Documents of the hard cases: the signed authorisation letters (委托授权书) of investigation
agencies.

They are kept by the arrangements app's document store (same directory, same checks: PDF, PNG
or JPEG recognised by their first bytes, at most ``ARRANGEMENTS["DOCUMENT_MAX_BYTES"]``, stored
under their SHA-256). ``document_path`` here is also how the evidence export resolves this
app's ``stored_path`` columns (``evidence.selectors._stored_files``).
"""

from __future__ import annotations

from autocollect.arrangements.storage import (
    StoredDocument,
    document_intact,
    document_path,
    document_store,
)

# Sub-folder of the document directory for the agencies' letters.
LETTER_FOLDER = "agency_letters"

__all__ = [
    "LETTER_FOLDER",
    "StoredDocument",
    "document_intact",
    "document_path",
    "document_store",
]
