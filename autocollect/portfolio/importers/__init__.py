"""Portfolio import: loans and payments from CSV, Excel, Parquet or a polars DataFrame.

``import_loans`` / ``import_payments`` validate every row, reject bad rows into a CSV with the
reason, and write the good ones in one transaction. See docs/import-formats.md.
"""

from autocollect.portfolio.importers.loans import import_loans
from autocollect.portfolio.importers.payments import import_payments
from autocollect.portfolio.importers.result import ImportFileError, ImportResult

__all__ = ["ImportFileError", "ImportResult", "import_loans", "import_payments"]
