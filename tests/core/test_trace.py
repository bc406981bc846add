import os
import re
from concurrent.futures import ThreadPoolExecutor

from multimarkets.trace import MAX_TRACE_LENGTH, new_trace

SERVICE_SHAPE = re.compile(r"t-[0-9a-z]{6}-[0-9a-z]{6}-[0-9a-z]{6}-[0-9a-z]{6}-\d{10}")


def test_traces_look_like_the_service_s_own_and_never_repeat() -> None:
    traces = [new_trace() for _ in range(10_000)]
    assert len(set(traces)) == len(traces)
    for trace in traces[:100]:
        assert SERVICE_SHAPE.fullmatch(trace), trace
        assert len(trace) <= MAX_TRACE_LENGTH


def test_a_forked_child_makes_traces_of_its_own() -> None:
    new_trace()  # the parent holds randomness for its next traces
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(write_end, " ".join(new_trace() for _ in range(3)).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        child = pipe.read().split()
    parent = [new_trace() for _ in range(3)]
    assert len(child) == 3
    assert not set(child) & set(parent)


def test_threads_making_traces_at_once_never_share_one() -> None:
    with ThreadPoolExecutor(8) as pool:
        batches = list(pool.map(lambda _: [new_trace() for _ in range(3_000)], range(8)))
    traces = [trace for batch in batches for trace in batch]
    assert len(set(traces)) == len(traces) == 24_000
