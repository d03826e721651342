"""The house: app/ in packages by stage, each module one concept, no import circles, and no
word of any one guide in the code.

- Modules import each other at the top, never inside a function to dodge a circle, and no
  two modules (nor two packages) import each other, directly or round about. Three imports
  wait inside a function on purpose, each to keep something heavy off a path that does not
  need it (``LAZY``).
- No module passes about 400 lines.
- No string in app/ other than a docstring holds a guide's words: everything a buyer reads
  comes from the corpus (``corpus/*.md``, each language's ``language.md``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

APP = REPO / "app"
MAX_LINES = 420
# (module, what it imports inside a function): each keeps a heavy load off a path that
# does not need it.
LAZY = {
    ("app.index.embed", "app.index.onnx_export"),  # torch, only to export the model
    ("app.answer.engine", "app.index.build"),  # the builder, only when no index exists
}
# Words of the guide kbqa was first made for, in English and Russian: none may stand in code.
GUIDE_WORDS = re.compile(
    r"\b(aliexpress|disputes?|sellers?|paypal|refunds?|parcels?|buyers?|appeals?|спор|продав)",
    re.IGNORECASE,
)


def modules() -> dict[str, Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """Each module's imports of app modules at its top, and those inside functions."""
    known = modules()
    top: dict[str, set[str]] = {name: set() for name in known}
    inner: set[tuple[str, str]] = set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        at_top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            for target in (t for t in targets if t in known and t != name):
                if id(node) in at_top:
                    top[name].add(target)
                else:
                    inner.add((name, target))
    return top, inner


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def test_no_module_imports_itself_round_about():
    top, _ = imports()
    assert circles(top) == []


def test_no_package_imports_itself_round_about():
    top, _ = imports()
    packages: dict[str, set[str]] = {}
    for name, targets in top.items():
        mine = ".".join(name.split(".")[:2])
        packages.setdefault(mine, set())
        packages[mine] |= {".".join(t.split(".")[:2]) for t in targets} - {mine}
    assert circles(packages) == []


def test_imports_inside_functions_are_only_the_lazy_ones():
    _, inner = imports()
    assert inner <= LAZY, sorted(inner - LAZY)


def test_no_module_is_over_about_four_hundred_lines():
    sizes = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in modules().items()}
    assert {n: s for n, s in sizes.items() if s > MAX_LINES} == {}


def test_no_string_in_the_code_holds_a_guides_words():
    found = []
    for path in sorted(APP.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and id(node) not in docstrings and GUIDE_WORDS.search(text):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text[:60]!r}")
    assert found == []


def test_no_string_in_the_code_is_an_alternation_of_words():
    """Word lists are data (``corpus/*.md``), compiled by ``app.reading.wordlist``."""
    alternation = re.compile(r"\(\?:[^()|\\]*[a-zа-я]{2,}[^()|\\]*\|[^()|\\]*[a-zа-я]{2,}")
    found = []
    for path in sorted(APP.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and alternation.search(text):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {text[:60]!r}")
    assert found == []
