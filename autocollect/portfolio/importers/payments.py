"""``autocollect import payments``: repayments, allocated to the schedule to the fen.

Each accepted payment is split with ``engine.loanmath.allocate_payment`` over the loan's
installments, oldest first, components in the product's allocation order. Whatever is not owed
on any installment becomes credit (溢缴款) on the payment and on the loan, so that for every
loan ``sum(allocations) + credit == sum(payments)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl

from autocollect.core import bulk
from autocollect.engine.loanmath import Component, OpenInstallment, allocate_payment
from autocollect.portfolio.importers.common import (
    Outcome,
    PhaseTimer,
    RowErrors,
    clean_text,
    dated,
    fetch_by_keys,
    parse_positive_fen,
    row_hash,
    run_import,
)
from autocollect.portfolio.importers.readers import SourceTable
from autocollect.portfolio.importers.result import ImportResult
from autocollect.portfolio.models import (
    Allocation,
    ImportKind,
    Installment,
    Loan,
    Payment,
    Product,
)

PAYMENT_COLUMNS = ("payment_ref", "contract_no", "paid_on", "amount", "channel")
OPTIONAL_COLUMNS = ("channel",)
REQUIRED_COLUMNS = tuple(c for c in PAYMENT_COLUMNS if c not in OPTIONAL_COLUMNS)
REQUIRED = "required / 必填"
KIND = ImportKind.PAYMENTS


@dataclass(slots=True)
class PaymentRow:
    index: int
    payment_ref: str
    contract_no: str
    paid_on: date
    amount_fen: int
    channel: str
    source_hash: str


@dataclass(slots=True)
class _LoanState:
    id: int
    disbursed_on: date
    credit_fen: int
    product_id: int
    paid_principal_fen: int


def import_payments(
    source: Path | pl.DataFrame,
    *,
    rejects_path: Path | None = None,
    encoding: str | None = None,
    actor: str = "system",
) -> ImportResult:
    """Import payments from a CSV/xlsx/parquet file or a DataFrame with the same columns.

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


def _parse(index: int, cells: Sequence[str], errors: RowErrors) -> PaymentRow | None:
    payment_ref, contract_no, paid_on, amount, channel = cells
    start = len(errors)
    values: list[object] = []
    for column, text, parser in (
        ("payment_ref", payment_ref, lambda t: clean_text(t, 64)),
        ("contract_no", contract_no, lambda t: clean_text(t, 64)),
        ("paid_on", paid_on, dated("payment.paid_on")),
        ("amount", amount, parse_positive_fen),
    ):
        if not text.strip():
            errors.append((column, REQUIRED))
            continue
        try:
            values.append(parser(text))
        except ValueError as exc:
            errors.append((column, str(exc)))
    try:
        clean_channel = clean_text(channel, 40)
    except ValueError as exc:
        errors.append(("channel", str(exc)))
    if len(errors) > start:
        return None
    ref, contract, paid, fen = values
    assert isinstance(ref, str)
    assert isinstance(contract, str)
    assert isinstance(paid, date)
    assert isinstance(fen, int)
    normalised = [ref, contract, paid.isoformat(), str(fen), clean_channel]
    return PaymentRow(
        index, ref, contract, paid, fen, clean_channel, row_hash("payments", normalised)
    )


def _process(table: SourceTable, now: datetime, timer: PhaseTimer) -> Outcome:
    outcome = Outcome()
    lines = table.line_numbers
    parsed: list[PaymentRow] = []
    first_ref: dict[str, int] = {}
    cells_by_row = zip(*(table.columns[name] for name in PAYMENT_COLUMNS), strict=True)
    for index, cells in enumerate(cells_by_row):
        errors: RowErrors = list(table.row_errors.get(index, ()))
        row = _parse(index, cells, errors)
        ref = cells[0].strip()
        if ref:
            first = first_ref.setdefault(ref, index)
            if first != index:
                errors.append(("payment_ref", f"duplicate of row {lines[first]}"))
        if errors:
            outcome.reject(index, errors)
        elif row is not None:
            parsed.append(row)
    timer.mark("validate rows", len(table))
    fresh = _drop_known(parsed, outcome)
    loans = _lock_loans(sorted({row.contract_no for row in fresh}))
    accepted: list[PaymentRow] = []
    for row in fresh:
        loan = loans.get(row.contract_no)
        if loan is None:
            outcome.reject(row.index, [("contract_no", f"unknown contract '{row.contract_no}'")])
        elif row.paid_on < loan.disbursed_on:
            outcome.reject(
                row.index,
                [
                    (
                        "paid_on",
                        f"{row.paid_on} is before the loan was disbursed ({loan.disbursed_on})",
                    )
                ],
            )
        else:
            accepted.append(row)
    timer.mark("check against the database and lock loans", len(parsed))
    if accepted:
        _allocate_and_write(accepted, loans, now, timer)
    outcome.created = len(accepted)
    return outcome


def _drop_known(rows: list[PaymentRow], outcome: Outcome) -> list[PaymentRow]:
    """Payments imported before: identical → unchanged, different → rejected."""
    known: dict[str, str] = dict(
        fetch_by_keys(
            Payment._meta.db_table,
            "payment_ref",
            ("source_hash",),
            [row.payment_ref for row in rows],
        )
    )
    fresh: list[PaymentRow] = []
    for row in rows:
        stored = known.get(row.payment_ref)
        if stored is None:
            fresh.append(row)
        elif stored == row.source_hash:
            outcome.unchanged += 1
        else:
            outcome.reject(
                row.index,
                [
                    (
                        "payment_ref",
                        "already imported with different data; corrections go through a "
                        "payment reversal, not a re-import (已导入且数据不同)",
                    )
                ],
            )
    return fresh


def _lock_loans(contracts: list[str]) -> dict[str, _LoanState]:
    """The loans paid into, locked so that a concurrent import cannot allocate twice."""
    return {
        contract_no: _LoanState(loan_id, disbursed_on, credit_fen, product_id, paid_principal)
        for contract_no, loan_id, disbursed_on, credit_fen, product_id, paid_principal in (
            fetch_by_keys(
                Loan._meta.db_table,
                "contract_no",
                ("id", "disbursed_on", "credit_fen", "product_id", "paid_principal_fen"),
                contracts,
                lock=True,
            )
        )
    }


def _open_installments(
    loan_ids: list[int],
) -> tuple[dict[int, list[OpenInstallment]], dict[int, tuple[int, int, int]], dict[int, date]]:
    """What is still owed per loan, oldest installment first, fully paid ones left out; what
    was paid so far (penalty, interest, principal) on each of those open installments; and
    their due dates (an allocation paid after one is marked late for the daily cycle).
    """
    by_loan: dict[int, list[OpenInstallment]] = defaultdict(list)
    paid_so_far: dict[int, tuple[int, int, int]] = {}
    due_on: dict[int, date] = {}
    rows = fetch_by_keys(
        Installment._meta.db_table,
        "loan_id",
        (
            "id",
            "seq",
            "penalty_fen",
            "interest_fen",
            "principal_fen",
            "paid_penalty_fen",
            "paid_interest_fen",
            "paid_principal_fen",
            "due_on",
        ),
        loan_ids,
        key_type="bigint",
    )
    for row in rows:
        loan_id, inst_id, seq, penalty, interest, principal, paid_pen, paid_int, paid_pri, due = row
        owed = (penalty - paid_pen, interest - paid_int, principal - paid_pri)
        if owed[0] > 0 or owed[1] > 0 or owed[2] > 0:
            by_loan[loan_id].append(OpenInstallment(inst_id, seq, *owed))
            paid_so_far[inst_id] = (paid_pen, paid_int, paid_pri)
            due_on[inst_id] = due if isinstance(due, date) else date.fromisoformat(due)
    # Sorting each loan's few installments is far cheaper than sorting millions of rows.
    for items in by_loan.values():
        items.sort(key=_by_seq)
    return by_loan, paid_so_far, due_on


def _by_seq(item: OpenInstallment) -> int:
    return item.seq


def _allocate_and_write(
    rows: list[PaymentRow], loans: dict[str, _LoanState], now: datetime, timer: PhaseTimer
) -> None:
    by_loan: dict[int, list[PaymentRow]] = defaultdict(list)
    for row in rows:
        by_loan[loans[row.contract_no].id].append(row)
    open_by_loan, paid_so_far, due_on = _open_installments(sorted(by_loan))
    timer.mark("read open installments")
    payment_ids = bulk.allocate_ids(Payment._meta.db_table, len(rows))
    allocator = _Allocator(
        due_on=due_on,
        payment_id={row.index: pid for row, pid in zip(rows, payment_ids, strict=True)},
        now=now,
    )
    loan_credit = allocator.allocate(by_loan, open_by_loan, loans)
    timer.mark("allocate", len(rows))
    _write_payments(allocator.payments)
    timer.mark("write payments", len(allocator.payments))
    _write_allocations(allocator.allocations)
    timer.mark("write allocations", len(allocator.allocations))
    _update_installments(allocator.paid, paid_so_far, allocator.allocations)
    timer.mark("update installments", len(allocator.paid))
    if loan_credit:
        bulk.update_rows(
            Loan._meta.db_table, "id", ("credit_fen", "paid_principal_fen"), loan_credit
        )


_SLOT = {Component.PENALTY: 0, Component.INTEREST: 1, Component.PRINCIPAL: 2}


class _Allocator:
    """Splits payments over open installments and collects the rows to write."""

    def __init__(
        self, *, due_on: dict[int, date], payment_id: dict[int, int], now: datetime
    ) -> None:
        self.due_on = due_on
        self.payment_id = payment_id  # by row index
        self.now = now
        self.payments: list[tuple[object, ...]] = []
        self.allocations: list[tuple[int, int, str, int, bool]] = []
        # Installment id → paid (penalty, interest, principal) added by this import.
        self.paid: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def allocate(
        self,
        by_loan: dict[int, list[PaymentRow]],
        open_by_loan: dict[int, list[OpenInstallment]],
        loans: dict[str, _LoanState],
    ) -> list[tuple[int, int, int]]:
        """Each loan's payments in date order, components in its product's allocation order.
        Returns (loan id, credit, paid principal) of the loans whose figures change."""
        orders = {
            product.pk: [Component(c) for c in product.allocation_order]
            for product in Product.objects.all()
        }
        state_by_id = {state.id: state for state in loans.values()}
        loan_credit: list[tuple[int, int, int]] = []
        for loan_id, loan_rows in by_loan.items():
            loan_rows.sort(key=lambda r: (r.paid_on, r.payment_ref))
            state = state_by_id[loan_id]
            credit_added, principal_added = self._loan(
                loan_id, loan_rows, open_by_loan.get(loan_id, []), orders[state.product_id]
            )
            if credit_added or principal_added:
                loan_credit.append(
                    (
                        loan_id,
                        state.credit_fen + credit_added,
                        state.paid_principal_fen + principal_added,
                    )
                )
        return loan_credit

    def _loan(
        self,
        loan_id: int,
        loan_rows: list[PaymentRow],
        open_items: list[OpenInstallment],
        order: list[Component],
    ) -> tuple[int, int]:
        """One loan's payments; returns the credit and the principal they add to the loan."""
        first_open = 0
        credit_added = 0
        principal_added = 0
        for row in loan_rows:
            payment_id = self.payment_id[row.index]
            lines, credit = allocate_payment(row.amount_fen, open_items[first_open:], order)
            for line in lines:
                self.allocations.append(
                    (
                        payment_id,
                        line.installment_id,
                        line.component.value,
                        line.amount_fen,
                        row.paid_on > self.due_on[line.installment_id],
                    )
                )
                self.paid[line.installment_id][_SLOT[line.component]] += line.amount_fen
                if line.component is Component.PRINCIPAL:
                    principal_added += line.amount_fen
            # Settled installments stay settled: later payments need not walk past them.
            while first_open < len(open_items) and _settled(open_items[first_open]):
                first_open += 1
            credit_added += credit
            self.payments.append(
                (
                    payment_id,
                    row.payment_ref,
                    loan_id,
                    row.paid_on,
                    row.amount_fen,
                    row.channel,
                    credit,
                    row.source_hash,
                    self.now,
                )
            )
        return credit_added, principal_added


def _write_payments(payments: list[tuple[object, ...]]) -> None:
    payment_table = Payment._meta.db_table
    with bulk.foreign_keys_checked_once(payment_table, rows=len(payments)):
        bulk.insert_rows(
            payment_table,
            (
                "id",
                "payment_ref",
                "loan_id",
                "paid_on",
                "amount_fen",
                "channel",
                "credit_fen",
                "source_hash",
                "created_at",
            ),
            payments,
        )


def _write_allocations(allocations: list[tuple[int, int, str, int, bool]]) -> None:
    allocation_table = Allocation._meta.db_table
    with bulk.foreign_keys_checked_once(allocation_table, rows=len(allocations)):
        bulk.insert_rows(
            allocation_table,
            ("payment_id", "installment_id", "component", "amount_fen", "is_late"),
            allocations,
        )


def _update_installments(
    paid: dict[int, list[int]],
    paid_so_far: dict[int, tuple[int, int, int]],
    allocations: list[tuple[int, int, str, int, bool]],
) -> None:
    """Add what this import paid to each installment, and mark those paid late."""
    bulk.update_rows(
        Installment._meta.db_table,
        "id",
        ("paid_penalty_fen", "paid_interest_fen", "paid_principal_fen"),
        (
            (
                inst_id,
                paid_so_far[inst_id][0] + added[0],
                paid_so_far[inst_id][1] + added[1],
                paid_so_far[inst_id][2] + added[2],
            )
            for inst_id, added in sorted(paid.items())
        ),
    )
    late_ids = sorted({row[1] for row in allocations if row[4]})
    if late_ids:
        bulk.update_rows(
            Installment._meta.db_table, "id", ("paid_late",), ((i, True) for i in late_ids)
        )


def _settled(item: OpenInstallment) -> bool:
    return item.penalty_fen <= 0 and item.interest_fen <= 0 and item.principal_fen <= 0
