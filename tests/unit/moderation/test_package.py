"""The package's public names, and the promise that it stays pure."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import moderation

SOURCES = sorted(Path(moderation.__file__).parent.glob("*.py"))
# Standard-library modules that would mean I/O, time or concurrency.
FORBIDDEN_MODULES = {
    "asyncio",
    "io",
    "logging",
    "os",
    "pathlib",
    "random",
    "shutil",
    "socket",
    "sqlite3",
    "subprocess",
    "threading",
    "time",
    "urllib",
}


def test_public_api_is_pinned() -> None:
    assert set(moderation.__all__) == {
        "ACTION_TARGET",
        "ALLOWED",
        "DEFAULT_PENDING_MAX_AGE",
        "DEFAULT_SPAM_MAX_AGE",
        "Action",
        "Decision",
        "Duplicate",
        "Facts",
        "Flag",
        "Flooding",
        "Refused",
        "RuleSettings",
        "Status",
        "Submission",
        "TransitionNotAllowed",
        "Verdict",
        "count_links",
        "decide",
        "evaluate",
        "find_terms",
        "normalize_for_matching",
        "parse_action",
        "parse_status",
        "spam_purge_cutoff",
        "stale_pending_cutoff",
        "visible_status",
    }
    for name in moderation.__all__:
        assert hasattr(moderation, name), name


def _imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: path.name)
def test_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module in _imported_modules(tree):
        top = module.split(".")[0]
        assert top == "moderation" or top in sys.stdlib_module_names, module
        assert top not in FORBIDDEN_MODULES, module
    for node in ast.walk(tree):
        assert not isinstance(node, ast.AsyncFunctionDef | ast.Await), node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"open", "print", "input"}, node.lineno
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # The clock is an input: callers pass `now` in.
            assert node.func.attr not in {"now", "utcnow", "today"}, node.lineno
