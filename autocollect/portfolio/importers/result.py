"""What an import reports back, and the error that refuses a file outright."""

from __future__ import annotations

from dataclasses import dataclass

from autocollect.core.errors import ApplicationError


class ImportFileError(ApplicationError):
    """The file cannot be imported at all (missing, unreadable, wrong columns).

    Raised before anything is written: a refused file leaves the database untouched.
    """


@dataclass(slots=True)
class ImportResult:
    """Counts of one import run. ``accepted == created + unchanged``."""

    file: str
    rows: int
    accepted: int
    rejected: int
    rejects_file: str | None
    created: int
    unchanged: int

    def to_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "rows": self.rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "rejects_file": self.rejects_file,
            "created": self.created,
            "unchanged": self.unchanged,
        }

    def summary(self) -> str:
        """One line for people: ``rows 10, accepted 7 (created 7, unchanged 0), rejected 3``."""
        text = (
            f"{self.file}: 共 {self.rows} 行 rows {self.rows}, "
            f"接受 accepted {self.accepted} "
            f"(新建 created {self.created}, 未变 unchanged {self.unchanged}), "
            f"拒绝 rejected {self.rejected}"
        )
        if self.rejects_file:
            text += f" → {self.rejects_file}"
        return text
