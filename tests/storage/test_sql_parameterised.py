"""Every SQL statement in the storage and event-log backends takes its values as parameters.

An AST check over ``src/tastemaker/storage/*.py`` and ``src/tastemaker/events/*.py``: the statement
given to ``execute``/``executemany``/``executescript`` (and the stores' ``_rows``/``_executemany``
helpers) may be built with an f-string, ``+``, ``%`` or ``.format`` only from constants: literals,
module-level UPPER_CASE names, ``int()``/``len()`` and ``"?"``-placeholder lists. Anything else must
be listed in ``ALLOWED`` with the reason it cannot carry user input; the test also fails when an
entry goes stale.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tastemaker"
FILES = sorted([*(SRC / "storage").glob("*.py"), *(SRC / "events").glob("*.py")])
SQL_CALLS = frozenset({"execute", "executemany", "executescript", "_rows", "_executemany"})
NUMERIC = frozenset({"int", "len", "float"})

_TABLE = "a literal table name from the store's own code or a module constant tuple, never a request"
_KEY = "a literal key column name from the store's own code, never a request"
_SYNC = "PRAGMA takes no parameters; the value was checked against SYNCHRONOUS_MODES when the URL was parsed"
ALLOWED: dict[tuple[str, str, str], str] = {
    # (file, innermost function, the interpolated expression): why it cannot carry user input
    ("storage/sqlite_schema.py", "connect", "synchronous"): _SYNC,
    ("events/sqlite_log_schema.py", "connect", "synchronous"): _SYNC,
    ("storage/sqlite_store.py", "_write_many", "table"): _TABLE,
    ("storage/sqlite_store.py", "_write_many", "key"): _KEY,
    ("storage/sqlite_store.py", "_get_one", "table"): _TABLE,
    ("storage/sqlite_store.py", "_get_one", "key"): _KEY,
    ("storage/sqlite_store.py", "_get_many", "table"): _TABLE,
    ("storage/sqlite_store.py", "_get_many", "key"): _KEY,
    (
        "storage/sqlite_store.py",
        "_get_many",
        "marks",
    ): "'?' placeholders, one per value: values are parameters",
    ("storage/sqlite_store.py", "forget_user", "table"): _TABLE,
    ("storage/sqlite_store.py", "forget_user", "key"): _KEY,
    ("storage/postgres_store.py", "_write_many", "table"): _TABLE,
    ("storage/postgres_store.py", "_write_many", "key"): _KEY,
    ("storage/postgres_store.py", "_get_one", "table"): _TABLE,
    ("storage/postgres_store.py", "_get_one", "key"): _KEY,
    ("storage/postgres_store.py", "_get_one", "_data(table)"): "'data' or 'data::text', chosen by table",
    ("storage/postgres_store.py", "_get_many", "table"): _TABLE,
    ("storage/postgres_store.py", "_get_many", "key"): _KEY,
    ("storage/postgres_store.py", "_get_many", "_data(table)"): "'data' or 'data::text', chosen by table",
    ("storage/postgres_store.py", "work", "table"): _TABLE,
}
"""Each entry was read and judged by hand; table/key values come from literals in the same module."""


def _is_constant(node: ast.expr, constants: set[str]) -> bool:
    """Built only from literals, module-level constants and numbers (never request data)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper() or node.id.lstrip("_").isupper() or node.id in constants
    if isinstance(node, ast.Attribute):
        return node.attr.lstrip("_").isupper()
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left, constants) and _is_constant(node.right, constants)
    if isinstance(node, ast.JoinedStr):
        return all(
            _is_constant(v.value if isinstance(v, ast.FormattedValue) else v, constants) for v in node.values
        )
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id in NUMERIC:
            return True
        if isinstance(func, ast.Attribute) and func.attr == "join":
            return _is_constant(func.value, constants) and all(_is_constant(a, constants) for a in node.args)
    return False


def _interpolated(node: ast.expr) -> list[ast.expr]:
    """The parts of a statement expression that are substituted into its text."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return [*_interpolated(node.left), *_interpolated(node.right)] or [node.left, node.right]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [*node.args, *(k.value for k in node.keywords)]
    return []


def _module_constants(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def violations() -> dict[tuple[str, str, str], int]:
    """(file, innermost function, expression) -> line, for every non-constant part of a statement."""
    innermost: dict[tuple[str, int, str], str] = {}
    for path in FILES:
        tree = ast.parse(path.read_text(), str(path))
        constants = _module_constants(tree)
        rel = f"{path.parent.name}/{path.name}"
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        for function in functions:
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                if node.func.attr not in SQL_CALLS or not node.args:
                    continue
                for part in _interpolated(node.args[0]):
                    if not _is_constant(part, constants):
                        innermost[(rel, node.lineno, ast.unparse(part))] = function.name  # walk: outer first
    return {(rel, name, expr): line for (rel, line, expr), name in innermost.items()}


def test_sql_is_built_only_from_constants_and_parameters() -> None:
    found = violations()
    unexplained = {k: line for k, line in found.items() if k not in ALLOWED}
    assert not unexplained, (
        f"SQL text built from variables (use parameters, or add to ALLOWED): {unexplained}"
    )
    stale = set(ALLOWED) - set(found)
    assert not stale, f"ALLOWED entries no longer in the code; remove them: {stale}"


def test_the_check_catches_interpolated_values() -> None:
    bad = ast.parse("conn.execute(f\"SELECT * FROM t WHERE name = '{name}'\")").body[0]
    assert isinstance(bad, ast.Expr) and isinstance(bad.value, ast.Call)
    parts = _interpolated(bad.value.args[0])
    assert [ast.unparse(p) for p in parts] == ["name"] and not _is_constant(parts[0], set())
    concat = ast.parse('"SELECT " + user_input').body[0]
    assert isinstance(concat, ast.Expr) and not all(
        _is_constant(p, set()) for p in _interpolated(concat.value)
    )
    ok = ast.parse("f\"INSERT INTO t VALUES ({', '.join('?' * len(row))})\"").body[0]
    assert isinstance(ok, ast.Expr) and all(_is_constant(p, set()) for p in _interpolated(ok.value))
