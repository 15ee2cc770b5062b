"""The package's shape, read from its source with ast: no import cycles
(imports inside functions count), core never imports Qt, the GUI or the CLI,
and the GUI never imports the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_llm"
MAX_LINES = 400  # a module past this should be split by responsibility
QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "qtpy", "shiboken6")


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under `root` (a package)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path) -> set[str]:
    """Every module name an import in the file mentions (top level or not),
    relative imports resolved; `from a import b` gives both a and a.b."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return found


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the package's own modules it imports."""
    known = modules(root)
    edges = {}
    for name, path in known.items():
        targets = set()
        for imported in imports_of(name, path):
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(graph(PACKAGE)) == []


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import a\n")
    (pkg / "c.py").write_text("import pkg.a\n")
    assert cycles(graph(pkg)) == [["pkg.a", "pkg.sub.b"]]


def test_core_imports_neither_qt_nor_the_front_ends():
    for name, path in modules(PACKAGE).items():
        if not name.startswith("desktop_llm.core"):
            continue
        for imported in imports_of(name, path):
            top = imported.split(".")[0]
            assert top not in QT_PACKAGES, f"{name} imports {imported}"
            assert not imported.startswith(("desktop_llm.gui", "desktop_llm.cli")), f"{name} imports {imported}"


def test_the_window_does_not_import_the_command_line():
    for name, path in modules(PACKAGE).items():
        if name.startswith("desktop_llm.gui"):
            assert not any(i.startswith("desktop_llm.cli") for i in imports_of(name, path)), name


def test_no_module_outgrows_what_a_reader_can_hold():
    sizes = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules(PACKAGE).items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
