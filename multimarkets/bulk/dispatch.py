"""Resume dispatch: the input read lazily, each row checked once, and handed to the workers unless the
journal already settled it in an earlier run."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator

from .journal import JournalError, RunJournal
from .outcome import RowOutcome
from .rows import PreparedRow, RowInput, Rows, ValidRow, prepare
from .store import IN_FLIGHT, StoredRow

__all__ = ["Feed", "Work"]

Work = tuple[PreparedRow, StoredRow | None]
"""One row for a worker, with what an earlier run recorded of it (a tuple: one is made per row)."""

_LOOKUP_CHUNK = 256
"""Rows read ahead to look up their journal records at once when resuming."""

_INPUT_ERRORS = (Exception, KeyboardInterrupt, SystemExit)
"""What an input may raise to end there (see :class:`Feed`). KeyboardInterrupt and SystemExit too (a reader that
exits on a bad file): escaping, they left the loop from a worker's task at once, the rows on their way journaled
"in flight" (read back as not attempted) although the service may have registered them."""


def _needs_call(record: StoredRow) -> bool:
    if record.state in (IN_FLIGHT, RowOutcome.NOT_ATTEMPTED.value):
        return True
    return record.state == RowOutcome.FAILED.value and record.retryable


class Feed:
    """The input of a run, read lazily: :meth:`works` yields every row that needs work, in input order, and
    hands every row an earlier run settled to ``settled`` (rows left for the reconcile pass go to neither).

    An input that raises (or gives a row that raises as its values are got) ends there, as if it had no more rows:
    every row read before is handed out as usual, so that each gets its outcome, and its error is kept in
    :attr:`error` for the run to raise once they settled (cut off at once, the rows on their way would have no
    answer, though the service may have registered them). It is never read again: a CSV reader, for one, goes on
    after a bad line."""

    def __init__(
        self,
        rows: Rows,
        journal: RunJournal,
        settled: Callable[[StoredRow], Awaitable[None]],
        *,
        reconcile: bool,
        ahead: tuple[Callable[[list[ValidRow]], None], int] | None = None,
    ) -> None:
        """``ahead``: how to note new rows' first calls ahead, and how many rows to read ahead at a time (see
        :meth:`plain`); None to leave each row's call to be noted when it is made."""
        self._rows = rows
        self._ahead = ahead
        self._journal = journal
        self._settled = settled
        self._reconcile = reconcile
        self.count = 0
        """Input rows read so far."""
        self.error: BaseException | None = None
        """What the input raised, if it did (see the class docs)."""

    def plain(self) -> Iterator[PreparedRow] | None:
        """The rows as a plain iterator when the input is a plain iterable and nothing is to be resumed (every
        row is new, with no earlier record to pair it with): taking a row then never suspends. None otherwise:
        use :meth:`works`.

        With ``ahead``, the rows are read ``lead`` at a time, as soon as no more than half a ``lead`` of those
        read before is left, and the first calls of a chunk's valid rows are noted at once, in the commit of the
        loop's next turn: a worker taking one finds it durable and sends it at once. Waiting for a commit of its
        own, each row waited with the others that wanted the same commit, and they went on in lockstep: their
        requests' objects all made at once, the garbage collector ran about once per 20 rows (instead of once per
        1,000), and each commit held fewer rows. A kill leaves the rows noted ahead "in flight", like those noted
        just before their call: a resumed run sends them again, and "already exists" reads "probably ours".
        :meth:`works` reads no row ahead (an async input may be slow to give the next one): there each row's call
        is noted as it is made."""
        rows = self._rows
        if isinstance(rows, AsyncIterable) or self._journal.rows.last_position() >= 0:
            return None
        fingerprint = self._journal.path is not None
        if self._ahead is None:
            return self._prepared(rows, fingerprint)
        return self._noted_ahead(rows, fingerprint, *self._ahead)

    def _prepared(self, rows: Iterable[RowInput], fingerprint: bool) -> Iterator[PreparedRow]:
        """A plain input's rows, prepared one at a time, until it ends or raises (see the class docs)."""
        # Preparing a row gets its values: a row that raises then (a lazily loaded one) is the input's error too,
        # not a worker's, which would cancel the rows on their way.
        try:
            for position, row in enumerate(rows):
                self.count = position + 1
                yield prepare(position, row, fingerprint=fingerprint)
        except _INPUT_ERRORS as exc:
            self.error = exc

    def _noted_ahead(
        self, rows: Iterable[RowInput], fingerprint: bool, note: Callable[[list[ValidRow]], None], lead: int
    ) -> Iterator[PreparedRow]:
        read, noted = enumerate(rows), deque[PreparedRow]()
        while True:
            if len(noted) <= lead // 2:
                # A loop, not a comprehension: that would lose the rows it read before the input raised.
                chunk: list[PreparedRow] = []
                add = chunk.append
                try:
                    for position, row in itertools.islice(read, lead):
                        add(prepare(position, row, fingerprint=fingerprint))
                except _INPUT_ERRORS as exc:
                    self.error, read = exc, enumerate(())
                if chunk:
                    self.count = chunk[-1].position + 1
                    note([row for row in chunk if type(row) is ValidRow])
                    noted.extend(chunk)
            if not noted:
                return
            yield noted.popleft()

    async def works(self) -> AsyncGenerator[Work, None]:
        """Raises :class:`JournalError` when a row differs from the one recorded at its position."""
        journal, settled, reconcile = self._journal, self._settled, self._reconcile
        # Positions past the journal's last record are new: only a resumed stretch needs lookups.
        last_recorded = journal.rows.last_position()
        chunk: list[PreparedRow] = []
        async for prepared in self._read(fingerprint=journal.path is not None):
            position = prepared.position
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

    async def _read(self, *, fingerprint: bool) -> AsyncIterator[PreparedRow]:
        """Yield the input's rows, plain or async, prepared one at a time, until it ends or raises (see the class
        docs). A plain iterable is read in the event loop, so it must be quick to step (a list, a file); a slow
        source belongs in an async one."""
        rows = self._rows
        if not isinstance(rows, AsyncIterable):
            for prepared in self._prepared(rows, fingerprint):
                yield prepared
            return
        try:  # as in _prepared
            position = 0
            async for row in rows:
                self.count = position + 1
                yield prepare(position, row, fingerprint=fingerprint)
                position += 1
        except _INPUT_ERRORS as exc:
            self.error = exc


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
        elif _needs_call(record):
            # A failed row that waits for a reconcile pass (an earlier run's pass failed, or it was cut off) is
            # sent again rather than left for this run's pass: had a lost attempt registered it, the service
            # answers "already exists", "probably ours", and the pass fills in its number; had none, it is
            # registered now instead of by yet another run.
            yield (prepared, record)
        elif record.pending and reconcile:
            continue  # the reconcile pass at the end settles it
        else:
            await settled(record)
