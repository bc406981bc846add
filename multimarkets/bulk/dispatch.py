"""Resume dispatch: the input read lazily, each row checked once, and handed to the workers unless the
journal already settled it in an earlier run."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator

from .journal import JournalError, RunJournal
from .outcome import RowOutcome
from .rows import PreparedRow, RowInput, Rows, prepare, read_rows
from .store import IN_FLIGHT, StoredRow

__all__ = ["Feed", "Work"]

Work = tuple[PreparedRow, StoredRow | None]
"""One row for a worker, with what an earlier run recorded of it (a tuple: one is made per row)."""

_LOOKUP_CHUNK = 256
"""Rows read ahead to look up their journal records at once when resuming."""


def _needs_call(record: StoredRow) -> bool:
    if record.state in (IN_FLIGHT, RowOutcome.NOT_ATTEMPTED.value):
        return True
    return record.state == RowOutcome.FAILED.value and record.retryable


class Feed:
    """The input of a run, read lazily: :meth:`works` yields every row that needs work, in input order, and
    hands every row an earlier run settled to ``settled`` (rows left for the reconcile pass go to neither)."""

    def __init__(
        self, rows: Rows, journal: RunJournal, settled: Callable[[StoredRow], Awaitable[None]], *, reconcile: bool
    ) -> None:
        self._rows = rows
        self._journal = journal
        self._settled = settled
        self._reconcile = reconcile
        self.count = 0
        """Input rows read so far."""

    def plain(self) -> Iterator[Work] | None:
        """The works as a plain iterator when the input is a plain iterable and nothing is to be resumed (every
        row is new): taking a row then never suspends. None otherwise: use :meth:`works`."""
        rows = self._rows
        if isinstance(rows, AsyncIterable) or self._journal.rows.last_position() >= 0:
            return None
        return self._fresh(rows)

    def _fresh(self, rows: Iterable[RowInput]) -> Iterator[Work]:
        fingerprint = self._journal.path is not None
        for position, row in enumerate(rows):
            self.count = position + 1
            yield prepare(position, row, fingerprint=fingerprint), None

    async def works(self) -> AsyncGenerator[Work, None]:
        """Raises :class:`JournalError` when a row differs from the one recorded at its position."""
        journal, settled, reconcile = self._journal, self._settled, self._reconcile
        # Positions past the journal's last record are new: only a resumed stretch needs lookups.
        last_recorded = journal.rows.last_position()
        fingerprint = journal.path is not None
        chunk: list[PreparedRow] = []
        async for position, row in read_rows(self._rows):
            self.count = position + 1
            prepared = prepare(position, row, fingerprint=fingerprint)
            if position > last_recorded:
                yield (prepared, None)
                continue
            chunk.append(prepared)
            if len(chunk) >= _LOOKUP_CHUNK or position == last_recorded:
                async for work in _resumed(chunk, journal, settled, reconcile=reconcile):
                    yield work
                chunk = []
        async for work in _resumed(chunk, journal, settled, reconcile=reconcile):
            yield work


async def _resumed(
    chunk: list[PreparedRow],
    journal: RunJournal,
    settled: Callable[[StoredRow], Awaitable[None]],
    *,
    reconcile: bool,
) -> AsyncIterator[Work]:
    if not chunk:
        return
    stored = journal.rows.lookup(chunk[0].position, chunk[-1].position)
    for prepared in chunk:
        record = stored.get(prepared.position)
        if record is None:
            yield (prepared, None)
        elif record.digest != prepared.digest:
            raise JournalError(
                f"row {prepared.position + 1} of the input differs from row {prepared.position + 1} recorded "
                f"in the journal {journal.path}: the journal belongs to another input. Resume with "
                "the same rows, or start a new journal."
            )
        elif record.pending and reconcile:
            continue  # the reconcile pass at the end settles it
        elif _needs_call(record):
            yield (prepared, record)
        else:
            await settled(record)
