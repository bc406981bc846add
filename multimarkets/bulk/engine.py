"""The bulk registration engine: a lazy input, ``concurrency`` workers, the journal, retries, reconciling.

Every request goes through the client's session, so the shared per-key limiter paces the run: with enough
workers the run sits at the allowed rate, and a 429 (another process on the same key) pauses every worker.
The concerns live in their own modules: :mod:`.dispatch` (input and resume), :mod:`.row` (one row's states),
:mod:`.turns` (duplicate keys), :mod:`.policy` (errors), :mod:`.reconcile` (the end), :mod:`.journal`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import aclosing
from typing import Any

import anyio

from ..errors import MultiMarketsError
from .dispatch import Feed, Work
from .journal import RunJournal, open_journal
from .options import BulkOptions
from .outcome import RowOutcome, RowResult
from .policy import FATAL_ERRORS
from .reconcile import emit_pending, reconcile
from .report import BulkReport
from .row import RowMachine
from .rows import PreparedRow, Rows, ValidRow
from .service import CustomerService
from .store import StoredRow

__all__ = ["OnResult", "register_many", "run_bulk", "stream_register"]

logger = logging.getLogger("multimarkets")

OnResult = Callable[[RowResult], object]
"""Called with each row's result, in the event loop: it must return quickly and not block."""

_Emit = Callable[[RowResult], Awaitable[None]]

_STOPS = (Exception, KeyboardInterrupt, SystemExit)
"""What stops the run, to be raised by :meth:`_Run.run` as is: KeyboardInterrupt and SystemExit too (from the input
or ``on_result``). Escaping a task, they would end the loop at once, past the caller's ``try``; where the loop runs
on after one (the sync client's portal), they come back through the awaits, and a task group would raise them in a
group."""


class _Run:
    """One run over one input; counts what it emits."""

    def __init__(self, service: CustomerService, journal: RunJournal, emit: _Emit | None, options: BulkOptions) -> None:
        self._service = service
        self._journal = journal
        self._emit_to = emit
        self._options = options
        self._reconcile = options.reconcile
        self._machine = RowMachine(
            service,
            journal,
            self._emit,
            reconcile=options.reconcile,
            row_retries=options.row_retries,
            watched=emit is not None,
        )
        self._counts = dict.fromkeys(RowOutcome, 0)
        self._probably_ours = 0
        self._resumed = 0
        self._failure: BaseException | None = None

    async def _guarded(self, step: Awaitable[None], scope: anyio.CancelScope) -> None:
        """Run ``step``; its error cancels the others and is raised by :meth:`run` as is (not in a group)."""
        try:
            await step
        except _STOPS as exc:
            self._fail(exc, scope)

    def _fail(self, exc: BaseException, scope: anyio.CancelScope) -> None:
        if self._failure is None:
            self._failure = exc
        scope.cancel()

    async def run(self, rows: Rows) -> BulkReport:
        started = time.monotonic()
        if self._journal.path is None:
            # Nothing to commit: no committer task (its task group, task and cancellation cost more than a
            # short run's rows).
            await self._work(rows)
        else:
            async with anyio.create_task_group() as committing:
                # The journal's committer also records the heartbeat that lets a run resumed after a kill count
                # this process's cut-off calls at its last moments. If it fails, the run stops: nothing more is
                # durable.
                committing.start_soon(self._guarded, self._journal.run(), committing.cancel_scope)
                await self._guarded(self._work(rows), committing.cancel_scope)
                committing.cancel_scope.cancel()
        if self._failure is not None:
            raise self._failure
        counts = self._counts
        registered = self._machine.registered
        return BulkReport(
            total=sum(counts.values()) + registered,
            registered=counts[RowOutcome.REGISTERED] + registered,
            already_exists=counts[RowOutcome.ALREADY_EXISTS],
            invalid=counts[RowOutcome.INVALID],
            failed=counts[RowOutcome.FAILED],
            not_attempted=counts[RowOutcome.NOT_ATTEMPTED],
            probably_ours=self._probably_ours,
            calls=self._machine.calls,
            resumed=self._resumed,
            elapsed=time.monotonic() - started,
            journal=self._journal.path,
            stopped_by=self._machine.stopped_by,
        )

    async def _work(self, rows: Rows) -> None:
        # Workers take rows straight from the input, one at a time: no hand-over queue, so a row costs no extra
        # task switch, and rows enter the turns in input order. Taking a row from an async input, or from a
        # resumed stretch, may suspend: there they take turns under a lock.
        # The feed (which holds the input) is no attribute of the run: the run and its row machine refer to each
        # other, so the input would live on after the run until the garbage collector found that cycle.
        ahead = None
        if self._journal.path is not None and self._service.pacing.window is None:
            # New rows' calls are noted a chunk ahead (see Feed.plain), only where the client does not limit the
            # rate: a limited run's rows wait for the limiter anyway, and there rows noted ahead would be sent
            # later after their note, beyond the bound a resumed run's count of them assumes (Pacing.call_bound).
            ahead = (self._machine.note_ahead, self._options.concurrency)
        feed = Feed(rows, self._journal, self._settled_earlier, reconcile=self._reconcile, ahead=ahead)
        plain, taking = feed.plain(), asyncio.Lock()
        async with aclosing(feed.works()) as works:
            with anyio.CancelScope() as stopping:  # a worker's error stops the others through it
                count = self._options.concurrency
                if plain is None:
                    await _together([self._worker(works, taking, stopping) for _ in range(count)])
                else:
                    await _together([self._plain_worker(plain, stopping) for _ in range(count)])
        try:
            if self._failure is not None:
                raise self._failure
            await self._journal.durable()  # the rows settled last, when nobody waited for them one by one
            if self._reconcile and self._machine.stopped_by is None:
                await self._reconcile_pass()
            finish = self._reconcile and self._machine.stopped_by is None
            await emit_pending(self._journal, feed.count, self._emit, finish=finish)
        except Exception as exc:
            if feed.error is not None and exc.__context__ is None:
                # Raised while the rows read before the input's error were worked (on_result raising, say): the
                # input's error, which the run raises only once they are done, would be lost.
                exc.__context__ = feed.error
            raise
        if feed.error is not None:
            raise feed.error  # only now: every row read before it has its outcome

    async def _emit(self, row: StoredRow, *, resumed: bool = False) -> None:
        self._counts[row.outcome] += 1
        self._probably_ours += row.probably_ours
        if self._emit_to is not None:  # a result is built only for someone who reads it
            await self._emit_to(row.result(resumed=resumed))

    async def _settled_earlier(self, row: StoredRow) -> None:
        self._resumed += 1
        await self._emit(row, resumed=True)

    async def _worker(self, works: AsyncIterator[Work], taking: asyncio.Lock, scope: anyio.CancelScope) -> None:
        # Guarded here rather than by _guarded: a frame less to pass at every suspension of every row's call.
        turns, process = self._machine.turns, self._machine.process
        try:
            while True:
                async with taking:
                    work = await anext(works, None)
                    if work is None:
                        return
                    row, stored = work
                    ready = turns.enter(row.position, row.keys)
                await process(row, stored, ready)
        except _STOPS as exc:
            self._fail(exc, scope)

    async def _plain_worker(self, rows: Iterator[PreparedRow], scope: anyio.CancelScope) -> None:
        # As _worker, without the lock: taking a row never suspends (and no row has an earlier record). A valid
        # row (nearly every one) goes straight to the machine's register step: process would only pass it on, a
        # call and its checks more for every row.
        turns, process, register = self._machine.turns, self._machine.process, self._machine.register
        try:
            for row in rows:
                ready = turns.enter(row.position, row.keys)
                if type(row) is ValidRow:
                    await register(row, 0, False, ready)
                else:
                    await process(row, None, ready)
        except _STOPS as exc:
            self._fail(exc, scope)

    def warn_maybe_sent(self, exc: BaseException) -> None:
        """Log how many rows the run leaves maybe sent as it ends by ``exc``: their calls were under way, so the
        service may hold them, and no outcome says so (a Ctrl-C or a cancellation, ``on_result`` raising, a failed
        journal)."""
        journal = self._journal
        # With a file, what a resume will take for maybe sent: the rows it holds in flight.
        count = self._machine.cut_off if journal.path is None else journal.in_flight()
        if count == 0:
            return
        ended = "was cancelled" if isinstance(exc, asyncio.CancelledError) else f"ended by {type(exc).__name__}"
        if journal.path is None:
            then = "no journal records which: sent again, one the service holds is reported as already exists"
        else:
            then = (
                f"resuming with the journal {journal.path} sends them again, and one the service holds is reported "
                "as already exists (probably ours)"
            )
        logger.warning(
            "bulk run %s with %s row(s) noted as being sent, which the service may have registered; %s",
            ended,
            "an unknown number of" if count is None else count,
            then,
        )

    async def _reconcile_pass(self) -> None:
        try:
            await reconcile(self._service, self._journal)
        except FATAL_ERRORS as exc:
            self._machine.stop(exc)
        except MultiMarketsError as exc:
            # The rows stay pending in the journal: a resumed run reconciles them again.
            logger.warning("reconcile pass failed: %s: %s", type(exc).__name__, exc)
            self._reconcile = False


async def _together(workers: list[Coroutine[Any, Any, None]]) -> None:
    """Run the workers as tasks until each returns; cancelling this cancels them, and waits for them.

    asyncio's tasks, not an anyio task group: starting a run's workers costs a third (some 400 us less a run,
    more than a short run's rows cost). The workers catch their errors (:meth:`_Run._fail`)."""
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(worker) for worker in workers]
    try:
        await asyncio.gather(*tasks)  # cancelled, it cancels the tasks and returns once they are done
    finally:
        # Only after an error that escaped a worker are some still running: they stop before the input closes.
        running = [task for task in tasks if not task.done()]
        for task in running:
            task.cancel()
        if running:
            with anyio.CancelScope(shield=True):
                await asyncio.wait(running)


async def run_bulk(service: CustomerService, rows: Rows, emit: _Emit | None, options: BulkOptions) -> BulkReport:
    """Run one bulk registration, handing each row's result to ``emit``, if any."""
    journal = await open_journal(options.journal, service.origin)
    try:
        pacing = service.pacing
        if pacing.window is not None:
            await pacing.occupy(journal.earlier_requests(pacing.window, pacing.call_bound))
        run = _Run(service, journal, emit, options)
        try:
            return await run.run(rows)
        except BaseException as exc:
            run.warn_maybe_sent(exc)
            raise
    finally:
        with anyio.CancelScope(shield=True):
            await journal.aclose()


async def register_many(
    service: CustomerService, rows: Rows, options: BulkOptions, on_result: OnResult | None
) -> BulkReport:
    """See :meth:`multimarkets.resources.customers.AsyncCustomers.register_many`."""

    if on_result is None:
        return await run_bulk(service, rows, None, options)
    call = on_result

    async def emit(result: RowResult) -> None:
        call(result)

    return await run_bulk(service, rows, emit, options)


async def stream_register(
    service: CustomerService, rows: Rows, options: BulkOptions
) -> AsyncGenerator[RowResult, None]:
    """See :meth:`multimarkets.resources.customers.AsyncCustomers.stream_register`."""
    send, receive = anyio.create_memory_object_stream[RowResult](options.concurrency)

    async def drive() -> BaseException | None:
        async with send:
            try:
                await run_bulk(service, rows, send.send, options)
            except (KeyboardInterrupt, SystemExit) as exc:
                return exc  # raised by the task, it would end the loop at once, past the consumer's try: see below
        return None

    # A task of its own, not a task group: each step of this generator may run in a different task (the sync
    # client drives it one __anext__ at a time through its portal), and a task group cannot span those.
    task = asyncio.ensure_future(drive())
    try:
        async with receive:
            async for result in receive:
                yield result
        stopped = await task
        if stopped is not None:
            raise stopped
    finally:
        if not task.done():
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.wait([task])
        if not task.cancelled() and task.exception() is not None:
            # The consumer stopped (or failed) after the run failed: retrieve the run's error so asyncio does
            # not log "Task exception was never retrieved"; the consumer's own exception, if any, propagates.
            logger.debug("bulk run ended with %r after its consumer stopped", task.exception())
