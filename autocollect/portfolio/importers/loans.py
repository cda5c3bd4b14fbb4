"""``autocollect import loans``: borrowers, contacts, loans, vehicles and their schedules.

Flow: read every cell as text → validate each row on its own (``loan_rows``) → cross-row and
database checks (``loan_checks``: duplicates, known contracts, VINs, borrower names) → write
the accepted rows in bulk (``loan_writes``), in the transaction opened by :func:`run_import`.
The format is documented in docs/import-formats.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from autocollect.portfolio.importers.common import (
    Outcome,
    PhaseTimer,
    RowErrors,
    run_import,
)
from autocollect.portfolio.importers.loan_checks import (
    check_borrower_names,
    check_vins,
    drop_known,
)
from autocollect.portfolio.importers.loan_rows import (
    LOAN_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    LoanRow,
    LoanRowParser,
)
from autocollect.portfolio.importers.loan_writes import schedule_problem, write_loans
from autocollect.portfolio.importers.readers import SourceTable
from autocollect.portfolio.importers.result import ImportResult
from autocollect.portfolio.models import ImportKind

KIND = ImportKind.LOANS


def import_loans(
    source: Path | pl.DataFrame,
    *,
    rejects_path: Path | None = None,
    encoding: str | None = None,
    actor: str = "system",
) -> ImportResult:
    """Import loans from a CSV/xlsx/parquet file or a DataFrame with the same columns.

    Raises :class:`ImportFileError` when the source cannot be read at all (nothing written).
    """
    return run_import(
        KIND,
        source,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        encoding=encoding,
        rejects_path=rejects_path,
        actor=actor,
        process=_process,
    )


def _process(table: SourceTable, now: datetime, timer: PhaseTimer) -> Outcome:
    outcome = Outcome()
    parser = LoanRowParser()
    cells_by_row = zip(*(table.columns[name] for name in LOAN_COLUMNS), strict=True)
    lines = table.line_numbers
    parsed: dict[int, LoanRow] = {}
    first_contract: dict[str, int] = {}
    for index, cells in enumerate(cells_by_row):
        errors: RowErrors = list(table.row_errors.get(index, ()))
        row = parser.parse(index, cells, errors)
        problem = schedule_problem(row) if row is not None else ""
        if problem:
            errors.append(("first_due_on", problem))
        contract = cells[0].strip()
        if contract:
            first = first_contract.setdefault(contract, index)
            if first != index:
                errors.append(("contract_no", f"duplicate of row {lines[first]}"))
        if errors:
            outcome.reject(index, errors)
        elif row is not None:
            parsed[index] = row
    timer.mark("validate rows", len(table))
    candidates = drop_known(parsed, outcome)
    check_vins(candidates, outcome, lines)
    existing_borrowers = check_borrower_names(candidates, outcome, lines)
    accepted = [row for row in candidates if row.index not in outcome.rejects]
    timer.mark("check against the database", len(parsed))
    write_loans(accepted, existing_borrowers, now, timer)
    outcome.created = len(accepted)
    return outcome
