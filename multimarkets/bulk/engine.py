"""The bulk registration engine: a lazy input, ``concurrency`` workers, the journal, retries, reconciling.

Every request goes through the client's session, so the shared per-key limiter paces the run: with enough
workers the run sits at the allowed rate, and a 429 (another process on the same key) pauses every worker.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable

import anyio
import attrs
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from .._retry import Outcome, backoff, classify
from ..errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    CustomerExistsError,
    IPBannedError,
    MultiMarketsError,
    PermissionDeniedError,
    SignatureError,
)
from ..models.customers import AddCustomerRequest
from .journal import IN_FLIGHT, Journal, JournalError, StoredRow
from .outcome import RowOutcome, RowResult
from .reconcile import reconcile
from .report import BulkReport
from .rows import PreparedRow, Rows, email_key, prepare, read_rows
from .service import CustomerService

__all__ = ["FATAL_ERRORS", "PROBABLY_OURS", "OnResult", "register_many", "run_bulk", "stream_register"]

logger = logging.getLogger("multimarkets")

FATAL_ERRORS: tuple[type[MultiMarketsError], ...] = (
    IPBannedError,
    SignatureError,
    AuthenticationError,
    PermissionDeniedError,
    ConfigurationError,
)
"""Errors that would strike every row alike: they stop the run, leaving the rest ``not_attempted``."""

OnResult = Callable[[RowResult], object]
"""Called with each row's result, in the event loop: it must return quickly and not block."""

_Emit = Callable[[RowResult], Awaitable[None]]

_LOOKUP_CHUNK = 256
"""Rows read ahead to look up their journal records at once when resuming."""

_MESSAGE_LIMIT = 500

PROBABLY_OURS = "probably ours: an earlier attempt for this row may have registered it"
"""The message of an ``already_exists`` row after an attempt of ours whose answer was lost."""


def _code_of(exc: MultiMarketsError) -> str:
    if isinstance(exc, APIError) and exc.code:
        return exc.code
    return type(exc).__name__


def _message_of(exc: MultiMarketsError) -> str:
    message = exc.message if isinstance(exc, APIError) else str(exc)
    return message[:_MESSAGE_LIMIT]


@attrs.frozen
class _Work:
    row: PreparedRow
    stored: StoredRow | None


def _keys_of(row: PreparedRow) -> tuple[str, ...]:
    """The natural keys the service rejects duplicates on: the row's e-mail key and phone key."""
    email = email_key(row.email)
    keys = () if email is None else (f"e:{email}",)
    return keys if row.phone_key is None else (*keys, f"p:{row.phone_key}")


class _Turns:
    """Input order among rows of this run sharing an e-mail or phone key: a row is sent only once every earlier
    row with one of its keys has settled, so the earliest row wins (with concurrency, and after a lost answer,
    a later duplicate could otherwise register the customer with its own password and remark).

    Rows enter in input order when handed to the workers and leave when settled, so only the keys of rows in
    flight or queued are held: memory stays bounded by the concurrency, whatever the input's length. Workers
    take rows in input order, so the earliest unsettled row never waits and the run cannot stall.
    """

    def __init__(self) -> None:
        self._queues: dict[str, deque[int]] = {}
        self._changed = anyio.Event()

    def enter(self, position: int, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._queues.setdefault(key, deque()).append(position)

    def leave(self, position: int, keys: tuple[str, ...]) -> None:
        for key in keys:
            queue = self._queues[key]
            queue.remove(position)
            if not queue:
                del self._queues[key]
        if keys:
            changed, self._changed = self._changed, anyio.Event()
            changed.set()

    def _first(self, position: int, keys: tuple[str, ...]) -> bool:
        return all(self._queues[key][0] == position for key in keys)

    async def wait(self, position: int, keys: tuple[str, ...]) -> None:
        """Return once no earlier row sharing one of ``keys`` is unsettled."""
        while not self._first(position, keys):
            await self._changed.wait()


class _Run:
    """One run over one input; counts what it emits."""

    def __init__(
        self,
        service: CustomerService,
        journal: Journal,
        emit: _Emit,
        *,
        concurrency: int,
        row_retries: int,
        reconcile: bool,
    ) -> None:
        self._service = service
        self._journal = journal
        self._emit_to = emit
        self._concurrency = concurrency
        self._row_retries = row_retries
        self._reconcile = reconcile
        self._stopped_by: MultiMarketsError | None = None
        self._counts = dict.fromkeys(RowOutcome, 0)
        self._probably_ours = 0
        self._calls = 0
        self._resumed = 0
        self._input_rows = 0
        self._failure: Exception | None = None
        self._turns = _Turns()

    async def _guarded(self, step: Awaitable[None], scope: anyio.CancelScope) -> None:
        """Run ``step``; its error cancels the others and is raised by :meth:`run` as is (not in a group)."""
        try:
            await step
        except Exception as exc:
            if self._failure is None:
                self._failure = exc
            scope.cancel()

    async def run(self, rows: Rows) -> BulkReport:
        started = time.monotonic()
        async with anyio.create_task_group() as beating:
            # The journal's heartbeat lets a run resumed after a kill count this process's cut-off calls at its
            # last moments instead of at the resume (see Journal.earlier_requests). If it fails, the run stops:
            # requests sent without heartbeats would be undercounted by a resumed run.
            beating.start_soon(self._guarded, self._journal.heartbeat(), beating.cancel_scope)
            await self._guarded(self._work(rows), beating.cancel_scope)
            beating.cancel_scope.cancel()
        if self._failure is not None:
            raise self._failure
        counts = self._counts
        return BulkReport(
            total=sum(counts.values()),
            registered=counts[RowOutcome.REGISTERED],
            already_exists=counts[RowOutcome.ALREADY_EXISTS],
            invalid=counts[RowOutcome.INVALID],
            failed=counts[RowOutcome.FAILED],
            not_attempted=counts[RowOutcome.NOT_ATTEMPTED],
            probably_ours=self._probably_ours,
            calls=self._calls,
            resumed=self._resumed,
            elapsed=time.monotonic() - started,
            journal=self._journal.path if self._journal.persistent else None,
            stopped_by=self._stopped_by,
        )

    async def _work(self, rows: Rows) -> None:
        send, receive = anyio.create_memory_object_stream[_Work](self._concurrency)
        async with anyio.create_task_group() as tasks:
            for _ in range(self._concurrency):
                tasks.start_soon(self._guarded, self._worker(receive.clone()), tasks.cancel_scope)
            receive.close()
            await self._guarded(self._produce(rows, send), tasks.cancel_scope)
        if self._failure is not None:
            return
        if self._reconcile and self._stopped_by is None:
            await self._reconcile_pass()
        await self._emit_pending(finish=self._reconcile and self._stopped_by is None)

    async def _emit(self, result: RowResult) -> None:
        self._counts[result.outcome] += 1
        self._probably_ours += result.probably_ours
        await self._emit_to(result)

    # --- reading the input --------------------------------------------------------------------------------

    async def _produce(self, rows: Rows, send: ObjectSendStream[_Work]) -> None:
        async with send:
            await self._read_input(rows, send)

    async def _read_input(self, rows: Rows, send: ObjectSendStream[_Work]) -> None:
        # Positions past the journal's last record are new: only a resumed stretch needs lookups.
        last_recorded = self._journal.last_position()
        chunk: list[PreparedRow] = []
        async for position, row in read_rows(rows):
            self._input_rows = position + 1
            prepared = prepare(position, row)
            if position > last_recorded:
                await self._dispatch(chunk, send)
                chunk = []
                await self._send(send, _Work(prepared, None))
                continue
            chunk.append(prepared)
            if len(chunk) >= _LOOKUP_CHUNK or position == last_recorded:
                await self._dispatch(chunk, send)
                chunk = []
        await self._dispatch(chunk, send)

    async def _dispatch(self, chunk: list[PreparedRow], send: ObjectSendStream[_Work]) -> None:
        if not chunk:
            return
        stored = self._journal.lookup(chunk[0].position, chunk[-1].position)
        for prepared in chunk:
            record = stored.get(prepared.position)
            if record is None:
                await self._send(send, _Work(prepared, None))
                continue
            if record.digest != prepared.digest:
                raise JournalError(
                    f"row {prepared.position + 1} of the input differs from row {prepared.position + 1} recorded "
                    f"in the journal {self._journal.path}: the journal belongs to another input. Resume with "
                    "the same rows, or start a new journal."
                )
            if record.pending and self._reconcile:
                continue  # the reconcile pass at the end settles it
            if self._needs_call(record):
                await self._send(send, _Work(prepared, record))
            else:
                self._resumed += 1
                await self._emit(attrs.evolve(record.result(), resumed=True))

    async def _send(self, send: ObjectSendStream[_Work], work: _Work) -> None:
        """Hand ``work`` to the workers, entering its keys first: rows enter :class:`_Turns` in input order."""
        row = work.row
        keys = _keys_of(row) if row.request is not None else ()
        self._turns.enter(row.position, keys)
        try:
            await send.send(work)
        except BaseException:
            self._turns.leave(row.position, keys)
            raise

    @staticmethod
    def _needs_call(record: StoredRow) -> bool:
        if record.state in (IN_FLIGHT, RowOutcome.NOT_ATTEMPTED.value):
            return True
        return record.state == RowOutcome.FAILED.value and record.retryable

    # --- sending ------------------------------------------------------------------------------------------

    async def _worker(self, receive: ObjectReceiveStream[_Work]) -> None:
        async with receive:
            async for work in receive:
                await self._process(work)

    async def _process(self, work: _Work) -> None:
        row = work.row
        keys = _keys_of(row) if row.request is not None else ()
        try:
            await self._settle_row(work, keys)
        finally:
            self._turns.leave(row.position, keys)

    async def _settle_row(self, work: _Work, keys: tuple[str, ...]) -> None:
        row, stored = work.row, work.stored
        base = StoredRow(
            position=row.position,
            digest=row.digest,
            state=IN_FLIGHT,
            email=row.email,
            phone=row.phone,
            phone_key=row.phone_key,
            attempts=stored.attempts if stored is not None else 0,
            # A row in flight when an earlier run died may have been registered by that lost call.
            ambiguous=stored is not None and (stored.ambiguous or stored.state == IN_FLIGHT),
        )
        request = row.request
        if request is None:
            error = row.error
            assert error is not None  # a prepared row has either its request or its error
            await self._settle(base, RowOutcome.INVALID, code=error.field, message=error.message)
        elif (stop := self._stopped_by) is not None:
            await self._settle_not_attempted(base, stop)
        else:
            await self._turns.wait(row.position, keys)
            await self._register(request, base)

    async def _register(self, request: AddCustomerRequest, base: StoredRow) -> None:
        retries = 0
        while True:
            if (stop := self._stopped_by) is not None:
                await self._settle_not_attempted(base, stop)
                return
            key = self._journal.start_call(1)
            base = attrs.evolve(base, attempts=base.attempts + 1)
            await self._journal.record(attrs.evolve(base, state=IN_FLIGHT), new_attempt=True)
            self._calls += 1
            requests = None
            try:
                try:
                    customer_no, requests = await self._service.register_row(
                        request, functools.partial(self._journal.note_retry, key)
                    )
                finally:
                    self._journal.end_call(key, requests)
            except CustomerExistsError as exc:
                base = attrs.evolve(base, ambiguous=base.ambiguous or exc.after_ambiguous)
                message = PROBABLY_OURS if base.ambiguous else exc.message
                await self._settle(
                    base, RowOutcome.ALREADY_EXISTS, code=exc.code, message=message, pending=self._reconcile
                )
                return
            except FATAL_ERRORS as exc:
                self._stop(exc)
                await self._settle_not_attempted(base, exc)
                return
            except MultiMarketsError as exc:
                kind = classify(exc)
                if kind is Outcome.FINAL:
                    await self._settle(base, RowOutcome.FAILED, code=_code_of(exc), message=_message_of(exc))
                    return
                lost = kind is Outcome.AMBIGUOUS or (isinstance(exc, APIError) and exc.after_ambiguous)
                base = attrs.evolve(base, ambiguous=base.ambiguous or lost)
                if retries < self._row_retries:
                    retries += 1
                    logger.info("row %d: retrying after %s", base.position + 1, type(exc).__name__)
                    await anyio.sleep(backoff(retries))
                    continue
                await self._settle(
                    base,
                    RowOutcome.FAILED,
                    code=_code_of(exc),
                    message=f"gave up after {retries + 1} calls: {_message_of(exc)}",
                    retryable=True,
                    # Whether a lost attempt registered it is settled by the reconcile pass.
                    pending=base.ambiguous and self._reconcile,
                )
                return
            await self._settle(base, RowOutcome.REGISTERED, customer_no=customer_no)
            return

    def _stop(self, exc: MultiMarketsError) -> None:
        if self._stopped_by is None:
            logger.warning("bulk run stopped: %s: %s", type(exc).__name__, exc)
            self._stopped_by = exc

    async def _settle_not_attempted(self, base: StoredRow, exc: MultiMarketsError) -> None:
        message = f"not sent: the run stopped on {type(exc).__name__}: {_message_of(exc)}"
        await self._settle(base, RowOutcome.NOT_ATTEMPTED, code=_code_of(exc), message=message)

    async def _settle(
        self,
        base: StoredRow,
        outcome: RowOutcome,
        *,
        customer_no: str | None = None,
        code: str | None = None,
        message: str | None = None,
        retryable: bool = False,
        pending: bool = False,
    ) -> None:
        row = attrs.evolve(
            base,
            state=outcome.value,
            customer_no=customer_no,
            code=code,
            message=message,
            retryable=retryable,
            pending=pending,
        )
        await self._journal.record(row)
        if not pending:
            await self._emit(row.result())

    # --- the end: reconciling -----------------------------------------------------------------------------

    async def _reconcile_pass(self) -> None:
        try:
            await reconcile(self._service, self._journal)
        except FATAL_ERRORS as exc:
            self._stop(exc)
        except MultiMarketsError as exc:
            # The rows stay pending in the journal: a resumed run reconciles them again.
            logger.warning("reconcile pass failed: %s: %s", type(exc).__name__, exc)
            self._reconcile = False

    async def _emit_pending(self, *, finish: bool) -> None:
        """Emit the rows left for the reconcile pass. With ``finish``, the pass walked the whole list (or found
        every number), so what it did not find is final."""
        after = -1
        while True:
            rows = self._journal.pending(after, self._input_rows, _LOOKUP_CHUNK)
            if not rows:
                return
            after = rows[-1].position
            if finish:
                rows = [self._finished(row) for row in rows]
                await self._journal.record(*rows)
            for row in rows:
                await self._emit(row.result())

    def _finished(self, row: StoredRow) -> StoredRow:
        if row.customer_no is not None and row.ambiguous:
            twin = self._journal.registered_row(row.customer_no)
            if twin is not None and twin != row.position + 1:
                # Another row of this input with the same phone or e-mail registered it, not our lost attempt.
                return attrs.evolve(
                    row,
                    state=RowOutcome.ALREADY_EXISTS.value,
                    message=f"registered by row {twin} of this input",
                    ambiguous=False,
                    retryable=False,
                    pending=False,
                )
        if row.state == RowOutcome.FAILED.value and row.customer_no is not None:
            # The list holds it, so one of our lost attempts registered it after all.
            return attrs.evolve(
                row,
                state=RowOutcome.ALREADY_EXISTS.value,
                code=None,
                message=PROBABLY_OURS,
                retryable=False,
                pending=False,
            )
        return attrs.evolve(row, pending=False)


def _check(concurrency: int, row_retries: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError("concurrency must be a positive integer")
    if isinstance(row_retries, bool) or not isinstance(row_retries, int) or row_retries < 0:
        raise ConfigurationError("row_retries must be 0 or more")


async def run_bulk(
    service: CustomerService,
    rows: Rows,
    emit: _Emit,
    *,
    concurrency: int,
    journal: str | os.PathLike[str] | None,
    reconcile: bool,
    row_retries: int,
) -> BulkReport:
    """Run one bulk registration, handing each row's result to ``emit``."""
    _check(concurrency, row_retries)
    store = Journal(journal, service.origin)
    await store.open()
    try:
        pacing = service.pacing
        if pacing.window is not None:
            await pacing.occupy(store.earlier_requests(pacing.window, pacing.call_bound))
        run = _Run(service, store, emit, concurrency=concurrency, row_retries=row_retries, reconcile=reconcile)
        return await run.run(rows)
    finally:
        with anyio.CancelScope(shield=True):
            await store.aclose()


async def register_many(
    service: CustomerService,
    rows: Rows,
    *,
    concurrency: int = 8,
    journal: str | os.PathLike[str] | None = None,
    on_result: OnResult | None = None,
    reconcile: bool = True,
    row_retries: int = 3,
) -> BulkReport:
    """See :meth:`multimarkets.resources.customers.AsyncCustomers.register_many`."""

    async def emit(result: RowResult) -> None:
        if on_result is not None:
            on_result(result)

    return await run_bulk(
        service,
        rows,
        emit,
        concurrency=concurrency,
        journal=journal,
        reconcile=reconcile,
        row_retries=row_retries,
    )


async def stream_register(
    service: CustomerService,
    rows: Rows,
    *,
    concurrency: int = 8,
    journal: str | os.PathLike[str] | None = None,
    reconcile: bool = True,
    row_retries: int = 3,
) -> AsyncGenerator[RowResult, None]:
    """See :meth:`multimarkets.resources.customers.AsyncCustomers.stream_register`."""
    _check(concurrency, row_retries)
    send, receive = anyio.create_memory_object_stream[RowResult](concurrency)

    async def drive() -> None:
        async with send:
            await run_bulk(
                service,
                rows,
                send.send,
                concurrency=concurrency,
                journal=journal,
                reconcile=reconcile,
                row_retries=row_retries,
            )

    # A task of its own, not a task group: each step of this generator may run in a different task (the sync
    # client drives it one __anext__ at a time through its portal), and a task group cannot span those.
    task = asyncio.ensure_future(drive())
    try:
        async with receive:
            async for result in receive:
                yield result
        await task
    finally:
        if not task.done():
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            # The consumer stopped (or failed) after the run failed: retrieve the run's error so asyncio does
            # not log "Task exception was never retrieved"; the consumer's own exception, if any, propagates.
            logger.debug("bulk run ended with %r after its consumer stopped", task.exception())
