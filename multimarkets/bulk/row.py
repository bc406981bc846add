"""The state machine of one row: invalid, or sent (noted in the journal first) until it is registered, already
exists, fails, or the run stops; each state is durable before the row is reported."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import anyio

from ..errors import CustomerExistsError, MultiMarketsError
from .journal import RunJournal
from .outcome import RowOutcome
from .policy import FATAL_ERRORS, PROBABLY_OURS, code_of, is_final, message_of, misdirected, trace_of, was_lost
from .rows import PreparedRow, ValidRow
from .service import CustomerService
from .store import IN_FLIGHT, StoredRow
from .turns import Turns

__all__ = ["RowMachine"]

logger = logging.getLogger("multimarkets")


class RowMachine:
    """Takes rows to their outcome; shared by the workers of one run, it also holds whether the run stopped."""

    def __init__(
        self,
        service: CustomerService,
        journal: RunJournal,
        emit: Callable[[StoredRow], Awaitable[None]],
        *,
        reconcile: bool,
        row_retries: int,
        watched: bool,
    ) -> None:
        self._service = service
        self._journal = journal
        self._emit = emit
        self._watched = watched
        """Each row's result is read as it settles, so its record must be durable first; otherwise only the
        counts are, at the end (every call still waits for everything noted before it)."""
        self._noted = journal.path is not None
        """Each call is noted durably before it is sent, for a resume to count it; a run without a journal file is
        never resumed, so its calls are not noted at all."""
        self._reconcile = reconcile
        self._row_retries = row_retries
        self.turns = Turns()
        self._ahead: dict[int, tuple[int, int]] = {}
        """The rows noted ahead (:meth:`note_ahead`) that no worker took yet: their call's ledger key, and the
        commit that makes their note durable."""
        self.stopped_by: MultiMarketsError | None = None
        """The fatal error that stopped the run, if any: the rows not sent yet settle ``not_attempted``."""
        self._answered = False
        """Some call of this run got further than a :func:`~.policy.misdirected` error: its address is right."""
        self.calls = 0
        """Registration calls made by this run."""
        self.cut_off = 0
        """Registration calls ended before their answer by a cancellation (or an error not from the call): the
        service may hold their rows."""
        self.registered = 0
        """Rows registered without being emitted one by one (nobody reads their results): only counted."""

    def stop(self, exc: MultiMarketsError) -> None:
        """Stop the run on a fatal error."""
        if self.stopped_by is None:
            logger.warning("bulk run stopped: %s: %s", type(exc).__name__, exc)
            self.stopped_by = exc

    def note_ahead(self, rows: list[ValidRow]) -> None:
        """Note the first call of each of ``rows`` (new rows, before a worker takes them) and have it committed
        soon: a worker that takes one once that commit is done sends it at once, without waiting for a commit of
        its own (see :class:`~.dispatch.Feed`)."""
        if self.stopped_by is not None:
            return  # the rows will not be sent
        journal, ahead = self._journal, self._ahead
        mark = journal.commit_soon()  # the commit that writes what is noted until the loop's next turn
        for row, key in zip(rows, journal.sending_first(rows), strict=True):
            ahead[row.position] = (key, mark)

    def process(self, row: PreparedRow, stored: StoredRow | None, ready: bool) -> Awaitable[None]:
        """Take one row (and what an earlier run recorded of it) to its outcome: awaiting the result does it. The
        row entered :attr:`turns` with its keys when it was handed to the workers (``ready``: what entering
        answered)."""
        # Not a coroutine of its own: the worker awaits the step's, one frame less to pass at every suspension.
        attempts, ambiguous = 0, False
        if stored is not None:
            # A row in flight when an earlier run died may have been registered by that lost call.
            attempts, ambiguous = stored.attempts, stored.ambiguous or stored.state == IN_FLIGHT
        if isinstance(row, ValidRow):
            return self.register(row, attempts, ambiguous, ready)
        error = row.error
        return self._settle(
            _stored(row, RowOutcome.INVALID, attempts, ambiguous, code=error.field, message=error.message)
        )

    async def register(self, row: ValidRow, attempts: int, ambiguous: bool, ready: bool) -> None:
        """:meth:`process` for a valid row, given what an earlier run recorded of it (none: ``0, False``)."""
        request, keys = row.request, row.keys
        noted = self._ahead.pop(row.position, None) if self._ahead else None
        try:
            if not ready and self.stopped_by is None:
                await self.turns.wait(row.position, keys)
            journal, service, retries = self._journal, self._service, 0
            while True:
                if self.stopped_by is not None:
                    if noted is not None:
                        journal.end_call(noted[0], 0)  # noted ahead, never sent
                    await self._not_attempted(row, attempts, ambiguous, self.stopped_by)
                    return
                attempts += 1
                key: int | None = None
                requests: int | None = None
                if noted is not None:
                    key, mark = noted
                    noted = None
                    if not journal.committed(mark):
                        await journal.durable()
                elif self._noted:
                    journal.sending(row, attempts, ambiguous)
                    key = journal.start_call(1)
                    await journal.durable()
                self.calls += 1
                try:
                    try:
                        reply = await service.send_row(
                            request, None if key is None else functools.partial(journal.note_retry, key)
                        )
                        requests = reply.attempts
                        customer_no = service.customer_no(reply)
                    except MultiMarketsError:
                        raise
                    except BaseException:
                        self.cut_off += 1
                        raise
                    finally:
                        if key is not None:
                            journal.end_call(key, requests)
                except CustomerExistsError as exc:
                    self._answered = True
                    ambiguous = ambiguous or exc.after_ambiguous
                    await self._settle(
                        _stored(
                            row,
                            RowOutcome.ALREADY_EXISTS,
                            attempts,
                            ambiguous,
                            code=exc.code,
                            message=PROBABLY_OURS if ambiguous else exc.message,
                            pending=self._reconcile,
                            trace=exc.trace,
                        )
                    )
                    return
                except FATAL_ERRORS as exc:
                    self.stop(exc)
                    # An attempt whose answer was lost (the client retried, then met the fatal error, e.g. a close)
                    # may have registered the row: a resume that meets "already exists" then says "probably ours".
                    await self._not_attempted(row, attempts, ambiguous or exc.after_ambiguous, exc)
                    return
                except MultiMarketsError as exc:
                    lost_way = misdirected(exc)
                    if not lost_way:
                        self._answered = True
                    final = is_final(exc)  # another call would meet the same answer
                    # Final or not: an answer that refuses the row after an attempt whose answer was lost (a
                    # firewall's 403 after a reset) does not undo what that attempt may have registered.
                    ambiguous = ambiguous or was_lost(exc)
                    if not final and retries < self._row_retries:
                        retries += 1
                        logger.info("row %d: retrying after %s", row.position + 1, type(exc).__name__)
                        await anyio.sleep(service.pacing.backoff(retries))
                        continue
                    if lost_way and (not self._answered or self.stopped_by is not None):
                        # No call of the run has reached the service yet, and this row gave up (a connection, after
                        # all its retries): the base URL, the proxy or the network is wrong, not the row, and every
                        # row would meet it. Once the service answered, the address is right: such an error is an
                        # outage, and fails the row alone. After another row stopped the run, this row's call went
                        # nowhere either: not attempted.
                        self.stop(exc)
                        await self._not_attempted(row, attempts, ambiguous, exc)
                        return
                    message = message_of(exc)
                    await self._settle(
                        _stored(
                            row,
                            RowOutcome.FAILED,
                            attempts,
                            ambiguous,
                            code=code_of(exc),
                            message=message if final else f"gave up after {retries + 1} calls: {message}",
                            retryable=not final,
                            # Whether a lost attempt registered it is settled by the reconcile pass.
                            pending=ambiguous and self._reconcile,
                            trace=trace_of(exc),
                        )
                    )
                    return
                self._answered = True
                # Only the state and the customer number change from the record made before the call.
                journal.registered(row.position, customer_no)
                if self._watched:
                    await journal.durable()
                    await self._emit(_stored(row, RowOutcome.REGISTERED, attempts, ambiguous, customer_no=customer_no))
                else:
                    self.registered += 1
                return
        finally:
            self.turns.leave(row.position, keys)

    async def _not_attempted(self, row: PreparedRow, attempts: int, ambiguous: bool, exc: MultiMarketsError) -> None:
        sent = "maybe sent (an answer was lost)" if ambiguous else "not sent"
        message = f"{sent}: the run stopped on {type(exc).__name__}: {message_of(exc)}"
        await self._settle(
            _stored(
                row,
                RowOutcome.NOT_ATTEMPTED,
                attempts,
                ambiguous,
                code=code_of(exc),
                message=message,
                trace=trace_of(exc),
            )
        )

    async def _settle(self, settled: StoredRow) -> None:
        """Journal ``settled`` and, unless it waits for the reconcile pass, report it."""
        if self._watched:
            await self._journal.record(settled)
        else:
            self._journal.note(settled)
        if not settled.pending:
            await self._emit(settled)


def _stored(
    row: PreparedRow,
    outcome: RowOutcome,
    attempts: int,
    ambiguous: bool,
    *,
    customer_no: str | None = None,
    code: str | None = None,
    message: str | None = None,
    retryable: bool = False,
    pending: bool = False,
    trace: str | None = None,
) -> StoredRow:
    """The record of ``row`` settled with ``outcome`` (or waiting for the reconcile pass)."""
    return StoredRow(
        row.position,
        row.digest,
        outcome.value,
        row.email,
        row.phone,
        customer_no,
        code,
        message,
        attempts,
        ambiguous,
        pending,
        retryable,
        row.phone_key,
        trace,
    )
