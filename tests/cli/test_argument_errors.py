"""A bad option value is a one-line usage error and exit 2 when the arguments are parsed, not a traceback from the
server that would have used it."""

from __future__ import annotations

import pytest

from multimarkets.cli import main


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("sandbox --port 99999", "argument --port: 99999 is not a port number"),
        ("sandbox --port -1", "argument --port: -1 is not a port number"),
        ("sandbox --port http", "argument --port: 'http' is not a port number"),
        ("sandbox --push-drop-rate 2", "argument --push-drop-rate: '2' is not a probability from 0 to 1"),
        ("sandbox --push-drop-rate nan", "argument --push-drop-rate: 'nan' is not a probability from 0 to 1"),
        ("webhooks listen --insecure --port 99999", "argument --port: 99999 is not a port number"),
        ("webhooks listen --insecure --path noslash", "argument --path: 'noslash' is not a URL path"),
        ("webhooks listen --insecure --path /x?y=1", "argument --path: '/x?y=1' is not a URL path"),
        ("webhooks listen --insecure --path /x#y", "argument --path: '/x#y' is not a URL path"),
        ("webhooks listen --insecure --path /{name}", "argument --path: '/{name}' is not a URL path"),
        ("customers import in.csv --concurrency 10000000", "argument --concurrency: '10000000' is not a whole number"),
        (
            "customers import in.csv --concurrency 101",
            "argument --concurrency: '101' is not a whole number from 1 to 100",
        ),
        ("customers import in.csv --concurrency 0", "argument --concurrency: '0' is not a whole number from 1 to 100"),
        ("sandbox --api-keys 100000000", "argument --api-keys: 100000000 keys in all; the sandbox serves 1 to 100"),
        ("sandbox --api-keys 1:50,2:51", "argument --api-keys: 101 keys in all; the sandbox serves 1 to 100"),
        ("sandbox --api-keys 0", "argument --api-keys: 0 keys in all; the sandbox serves 1 to 100"),
        ("sandbox --api-keys 220:x", "argument --api-keys: entry '220:x' is not COMPANY[:COUNT]"),
        ("customers import in.csv --timeout nan", "argument --timeout: 'nan' is not a number of seconds above 0"),
        ("customers import in.csv --timeout -1", "argument --timeout: '-1' is not a number of seconds above 0"),
        ("customers import in.csv --timeout 0", "argument --timeout: '0' is not a number of seconds above 0"),
        ("customers import in.csv --timeout inf", "argument --timeout: 'inf' is not a number of seconds above 0"),
        ("demo --concurrency 1e9", "argument --concurrency: '1e9' is not a whole number from 1 to 100"),
    ],
)
def test_a_bad_value_exits_2_with_one_line(command: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(command.split())
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.splitlines()[-1].startswith("multimarkets ")  # argparse's usage, then the one error line
