"""Checks of valid loan rows against each other and against the book: contracts imported
before, VINs already financed, and one name per national ID."""

from __future__ import annotations

from autocollect.portfolio.importers.common import Outcome, fetch_by_keys
from autocollect.portfolio.importers.loan_rows import LoanRow
from autocollect.portfolio.models import Borrower, Loan, Vehicle


def drop_known(parsed: dict[int, LoanRow], outcome: Outcome) -> list[LoanRow]:
    """Rows whose contract was imported before: identical → unchanged, different → rejected."""
    contracts = [row.contract_no for row in parsed.values()]
    known: dict[str, str] = {
        contract: stored
        for contract, stored in fetch_by_keys(
            Loan._meta.db_table, "contract_no", ("source_hash",), contracts
        )
    }
    fresh: list[LoanRow] = []
    for row in parsed.values():
        stored = known.get(row.contract_no)
        if stored is None:
            fresh.append(row)
        elif stored == row.source_hash:
            outcome.unchanged += 1
        else:
            outcome.reject(
                row.index,
                [
                    (
                        "contract_no",
                        "already imported with different data; corrections go through a loan "
                        "amendment, not a re-import (已导入且数据不同)",
                    )
                ],
            )
    return fresh


def check_vins(rows: list[LoanRow], outcome: Outcome, lines: list[int]) -> None:
    """A vehicle finances one loan: a VIN seen before (in the file or the book) is refused."""
    financed = fetch_by_keys(Vehicle._meta.db_table, "vin", ("loan_id",), [row.vin for row in rows])
    contracts = dict(
        Loan.objects.filter(id__in=[loan_id for _, loan_id in financed]).values_list(
            "id", "contract_no"
        )
    )
    owners: dict[str, str] = {vin: contracts[loan_id] for vin, loan_id in financed}
    first_in_file: dict[str, int] = {}
    for row in rows:
        owner = owners.get(row.vin)
        if owner is not None:
            outcome.reject(row.index, [("vin", f"already financed by contract {owner}")])
            continue
        first = first_in_file.setdefault(row.vin, row.index)
        if first != row.index:
            outcome.reject(row.index, [("vin", f"same VIN as row {lines[first]}")])


def check_borrower_names(rows: list[LoanRow], outcome: Outcome, lines: list[int]) -> dict[str, int]:
    """One national ID, one person: a different name means a typo or a wrong ID.

    Returns the ids of the borrowers already on file, by national ID. National IDs are stored
    encrypted: borrowers are found by the blind index (docs/privacy.md).
    """
    index_of = {row.national_id.number: row.national_id_index for row in rows}
    number_of = {index: number for number, index in index_of.items()}
    found = [
        (number_of[index], borrower_id, name)
        for index, borrower_id, name in fetch_by_keys(
            Borrower._meta.db_table, "national_id_index", ("id", "name"), sorted(number_of)
        )
    ]
    known: dict[str, str] = {number: name for number, _, name in found}
    first_in_file: dict[str, LoanRow] = {}
    for row in rows:
        number = row.national_id.number
        stored = known.get(number)
        if stored is not None and stored != row.borrower_name:
            outcome.reject(
                row.index,
                [("borrower_name", f"national_id is already on file as borrower '{stored}'")],
            )
            continue
        first = first_in_file.setdefault(number, row)
        if first.borrower_name != row.borrower_name:
            outcome.reject(
                row.index,
                [
                    (
                        "borrower_name",
                        f"row {lines[first.index]} gives '{first.borrower_name}' "
                        "for the same national_id",
                    )
                ],
            )
    return {number: borrower_id for number, borrower_id, _ in found}
