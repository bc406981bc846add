"""The journal of a run without a file: the engine's journal interface (:class:`~.journal.RunJournal`) over
row states kept in memory."""

from __future__ import annotations

from .rows import ValidRow
from .store import MemoryRows, StoredRow

__all__ = ["MemoryJournal"]


class MemoryJournal:
    """The journal of a run without a file: row states in memory (see :class:`~.store.MemoryRows`), nothing
    to resume, so no ledger and no committer."""

    path = None
    rows: MemoryRows

    def __init__(self) -> None:
        self.rows = self._rows = MemoryRows()
        # Keep which row registered each customer number (the reconcile rules ask), with one call per row.
        self.registered = self._rows.registered

    async def aclose(self) -> None:
        """Nothing to release."""

    async def run(self) -> None:
        """Nothing to commit."""

    def sending(self, row: ValidRow, attempts: int, ambiguous: bool) -> None:
        """Nothing to keep: a run without a file is never resumed."""

    def sending_first(self, rows: list[ValidRow]) -> list[int]:
        """No ledger: a run without a file is never resumed (see :meth:`start_call`)."""
        return [0] * len(rows)

    async def durable(self) -> None:
        """Everything is kept at once."""

    def commit_soon(self) -> int:
        """Nothing to commit: everything is kept at once."""
        return 0

    def committed(self, mark: int) -> bool:
        """Everything is kept at once."""
        return True

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

    def in_flight(self) -> int | None:
        """Unknown: calls are not noted (see :meth:`sending`); the engine counts those it cut off."""
        return None

    def earlier_requests(self, window: float, call_bound: float) -> list[float]:
        """None: nothing ran before."""
        return []
