"""Every public coroutine / async-iterator method of the async client and its resources has a sync twin with
the same parameters (names, kinds, defaults, annotations), the same docstring and the mapped return annotation.

This walks the *imported* classes of ``multimarkets`` (inherited methods included), independently of how
``scripts/gen_sync.py`` reads the source.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

ASYNC_ITERATORS = {"AsyncIterator", "AsyncIterable", "AsyncGenerator"}
RENAMED = {"aclose": "close", "__aenter__": "__enter__", "__aexit__": "__exit__"}
ASYNC_CLASS = re.compile(r"^Async[A-Z]\w*$")


@dataclass(frozen=True)
class Twins:
    async_cls: type
    sync_cls: type
    is_client: bool


HAND_WRITTEN_TWINS = {"AsyncRawResponses": "RawResponses"}
"""Classes written by hand in both flavours (``multimarkets._raw``) that the clients' members return."""
CLIENTS = {"": "AsyncBridgeClient", ".manager": "AsyncManagerClient"}
"""Where each client lives in the package, its resources in ``resources/`` beside it."""


def mirrored_classes(package: str = "multimarkets") -> list[Twins]:
    twins = []
    for home, name in CLIENTS.items():
        client = importlib.import_module(f"{package}{home}.client")
        sync_client = importlib.import_module(f"{package}._sync{home}.client")
        twins.append(Twins(getattr(client, name), getattr(sync_client, name[len("Async") :]), True))
        twins += resource_twins(f"{package}{home}", f"{package}._sync{home}")
    return twins


def resource_twins(package: str, sync_package: str) -> list[Twins]:
    twins = []
    resources = importlib.import_module(f"{package}.resources")
    for info in pkgutil.iter_modules(resources.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package}.resources.{info.name}")
        sync_module = importlib.import_module(f"{sync_package}.resources.{info.name}")
        for name, value in vars(module).items():
            if ASYNC_CLASS.match(name) and isinstance(value, type) and value.__module__ == module.__name__:
                assert hasattr(sync_module, name[len("Async") :]), f"{name} has no sync twin"
                twins.append(Twins(value, getattr(sync_module, name[len("Async") :]), False))
    return twins


def async_members(twins: Twins) -> Iterator[tuple[str, Any]]:
    """Public coroutines, async generators, properties (resource namespaces: cached properties), and methods
    returning async iterators."""
    for name in dir(twins.async_cls):
        if name.startswith("_") and name not in RENAMED and not (name == "__init__" and twins.is_client):
            continue
        member = inspect.getattr_static(twins.async_cls, name)
        if (
            isinstance(member, property | functools.cached_property)
            or inspect.iscoroutinefunction(member)
            or inspect.isasyncgenfunction(member)
            or (inspect.isfunction(member) and (name == "__init__" or returns_async_iterator(member)))
        ):
            yield name, member


def returns_async_iterator(function: Callable[..., Any]) -> bool:
    returns = function.__annotations__.get("return")
    return isinstance(returns, str) and head(parse(returns)) in ASYNC_ITERATORS


def parse(annotation: str) -> ast.expr:
    expr = ast.parse(annotation, mode="eval").body
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):  # a quoted annotation
        expr = ast.parse(expr.value, mode="eval").body
    return expr


def head(expr: ast.expr) -> str | None:
    base = expr.value if isinstance(expr, ast.Subscript) else expr
    return base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None


def arguments(expr: ast.expr) -> list[ast.expr]:
    if not isinstance(expr, ast.Subscript):
        return []
    return list(expr.slice.elts) if isinstance(expr.slice, ast.Tuple) else [expr.slice]


def expected_return(annotation: str, renames: dict[str, str]) -> str:
    """The sync twin's return annotation for an async member's."""
    expr = parse(annotation)
    if head(expr) in ASYNC_ITERATORS:
        expr = ast.Subscript(ast.Name("Iterator"), arguments(expr)[0])
    for node in ast.walk(expr):
        if isinstance(node, ast.Name) and node.id in renames:
            node.id = renames[node.id]
    return ast.unparse(expr)


def string_annotations(function: Callable[..., Any]) -> dict[str, Any]:
    annotations = dict(function.__annotations__)
    assert all(isinstance(a, str) for a in annotations.values()), (
        f"{function.__qualname__}: the async modules must use `from __future__ import annotations`"
    )
    return annotations


def parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    return [(p.name, p.kind, p.default, p.annotation) for p in inspect.signature(function).parameters.values()]


def assert_twin(name: str, member: Any, twins: Twins, renames: dict[str, str]) -> None:
    where = f"{twins.async_cls.__name__}.{name}"
    sync_name = RENAMED.get(name, name)
    twin = inspect.getattr_static(twins.sync_cls, sync_name, None)
    assert twin is not None, f"{where} has no sync twin {twins.sync_cls.__name__}.{sync_name}"
    if isinstance(member, property):
        assert isinstance(twin, property), f"{where} is a property, its twin is not"
        assert twin.fset is None
        assert member.fget is not None and twin.fget is not None
        member, twin = member.fget, twin.fget
    elif isinstance(member, functools.cached_property):
        assert isinstance(twin, functools.cached_property), f"{where} is a cached property, its twin is not"
        member, twin = member.func, twin.func
    else:
        assert inspect.isfunction(twin), f"{where}: twin is not a plain method"
        assert not inspect.iscoroutinefunction(twin) and not inspect.isasyncgenfunction(twin), where
    assert parameters(twin) == parameters(member), f"{where}: parameters differ"
    assert twin.__doc__ == member.__doc__, f"{where}: docstring differs"
    async_returns = string_annotations(member).get("return")
    sync_returns = string_annotations(twin).get("return")
    if name == "__init__":
        assert sync_returns == async_returns
    else:
        assert async_returns is not None, f"{where} has no return annotation"
        expected = expected_return(async_returns, renames)
        assert sync_returns is not None and ast.unparse(parse(sync_returns)) == expected, f"{where}: return"


def test_every_async_member_has_a_sync_twin() -> None:
    twins_list = mirrored_classes()
    renames = {t.async_cls.__name__: t.sync_cls.__name__ for t in twins_list} | HAND_WRITTEN_TWINS
    walked = set()
    for twins in twins_list:
        for name, member in async_members(twins):
            assert_twin(name, member, twins, renames)
            walked.add(f"{twins.sync_cls.__name__}.{RENAMED.get(name, name)}")
    must_have = {"BridgeClient.__init__", "BridgeClient.close", "BridgeClient.__enter__", "BridgeClient.__exit__"}
    must_have |= {"BridgeClient.customers", "ManagerClient.data_push"}
    assert must_have | {"BridgeClient.call", "Customers.register", "Customers.iterate"} <= walked


def test_the_walk_would_catch_a_missing_twin() -> None:
    twins = next(t for t in mirrored_classes() if t.sync_cls.__name__ == "Customers")
    stripped = type("Customers", (), {k: v for k, v in vars(twins.sync_cls).items() if k != "get"})
    with pytest.raises(AssertionError, match=r"AsyncCustomers.get has no sync twin"):
        for name, member in async_members(twins):
            assert_twin(name, member, Twins(twins.async_cls, stripped, False), {"AsyncCustomers": "Customers"})
