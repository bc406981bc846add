import re

from multimarkets.trace import MAX_TRACE_LENGTH, new_trace

SERVICE_SHAPE = re.compile(r"t-[0-9a-z]{6}-[0-9a-z]{6}-[0-9a-z]{6}-[0-9a-z]{6}-\d{10}")


def test_traces_look_like_the_service_s_own_and_never_repeat() -> None:
    traces = [new_trace() for _ in range(10_000)]
    assert len(set(traces)) == len(traces)
    for trace in traces[:100]:
        assert SERVICE_SHAPE.fullmatch(trace), trace
        assert len(trace) <= MAX_TRACE_LENGTH
