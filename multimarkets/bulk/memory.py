"""The journal of a run without a file: the engine's journal interface (:class:`~.journal.RunJournal`) over
row states kept in memory."""

from __future__ import annotations

from .rows import PreparedRow
from .store import MemoryRows, StoredRow

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """The journal of a run without a file: row states in memory (see :class:`~.store.MemoryRows`), nothing
    to resume, so no ledger and no committer."""

    path = None
    rows: MemoryRows

    def __init__(self) -> None:
        self.rows = self._rows = MemoryRows()

    async def aclose(self) -> None:
        """Nothing to release."""

    async def run(self) -> None:
        """Nothing to commit."""

    def sending(self, row: PreparedRow, attempts: int, ambiguous: bool) -> None:
        """Nothing to keep: a run without a file is never resumed."""

    def registered(self, position: int, customer_no: str) -> None:
        """Keep which row registered ``customer_no`` (the reconcile rules ask)."""
        self._rows.registered(position, customer_no)

    async def durable(self) -> None:
        """Everything is kept at once."""

    def note(self, *rows: StoredRow) -> None:
        """Keep the rows' states."""
        self._rows.write(rows)

    async def record(self, *rows: StoredRow) -> None:
        """Keep the rows' states."""
        self._rows.write(rows)

    def start_call(self, requests: int) -> int:
        """No ledger: a run without a file is never resumed."""
        return 0

    async def note_retry(self, key: int) -> None:
        """No ledger."""

    def end_call(self, key: int, requests: int | None) -> None:
        """No ledger."""

    def earlier_requests(self, window: float, call_bound: float) -> list[float]:
        """None: nothing ran before."""
        return []
