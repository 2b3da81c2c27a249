"""The layering of docs/architecture.md, checked on every import of the package.

Every ``import`` is read, function-local ones too (only ``if TYPE_CHECKING:`` blocks are
skipped: they never run). A module may import from its own layer or a lower one, never a
higher one, and no two modules (or packages) may import each other, directly or around a
circle.
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "hftree"

#: Bottom to top; a module belongs to the first pattern it matches.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("hftree._[!_]*", "hftree.errors", "hftree.schema", "hftree.licenses")),
    ("ingest", ("hftree.ingest", "hftree.ingest.*")),
    ("lineage", ("hftree.lineage", "hftree.lineage.*")),
    ("families", ("hftree.families", "hftree.families.*", "hftree.datasets", "hftree.datasets.*")),
    ("analyses", tuple(f"hftree.{p}{s}" for p in ("traits", "ecosystem", "adoption", "kernels", "evolution", "history")
                       for s in ("", ".*"))),
    ("drift", ("hftree.drift", "hftree.drift.*")),
    ("viz", ("hftree.viz", "hftree.viz.*")),
    ("report", ("hftree.report", "hftree.report.*")),
    ("testing", ("hftree.testing", "hftree.testing.*")),
    ("cli", ("hftree.cli", "hftree.cli.*")),
    ("package", ("hftree", "hftree.__main__")),
]


def layer_of(module: str) -> int:
    for i, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch(module, p) for p in patterns):
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported hftree module) of every import in ``path`` that runs."""
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            for child in getattr(node, "orelse", []):
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "hftree")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if mod.split(".")[0] == "hftree":
                for a in node.names:  # `from hftree import datasets` imports a module
                    sub = f"{mod}.{a.name}"
                    found.append((node.lineno, sub if _is_module(sub) else mod))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PKG.parent / rel).with_suffix(".py").exists() or (PKG.parent / rel / "__init__.py").exists()


def _resolve(name: str) -> str:
    """The module file an imported name lives in (``hftree.lineage.graph.X`` → ``hftree.lineage.graph``)."""
    while name and not _is_module(name):
        name = name.rpartition(".")[0]
    return name


MODULES = sorted(PKG.rglob("*.py"))
EDGES = {module_name(p): sorted({(ln, _resolve(m)) for ln, m in imports(p)}) for p in MODULES}


def test_every_module_has_a_layer():
    for mod in EDGES:
        layer_of(mod)


def test_no_import_points_up_a_layer():
    bad = []
    for mod, deps in EDGES.items():
        for line, dep in deps:
            if dep != mod and layer_of(dep) > layer_of(mod):
                bad.append(f"{mod}:{line} imports {dep} ({LAYERS[layer_of(mod)][0]} -> {LAYERS[layer_of(dep)][0]})")
    assert not bad, "imports that point up a layer:\n" + "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_module_import_cycles():
    # a package's __init__ re-exports its own modules: those edges are not dependencies
    graph = {m: {d for _, d in deps if d != m and not m.startswith(d + ".") and not d.startswith(m + ".")}
             for m, deps in EDGES.items()}
    assert _cycles(graph) == []


def _package(mod: str) -> str:
    parts = mod.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else mod


def test_no_package_import_cycles():
    graph: dict[str, set[str]] = {}
    for mod, deps in EDGES.items():
        if mod == "hftree":
            continue
        for _, dep in deps:
            a, b = _package(mod), _package(dep)
            if a != b and b != "hftree":
                graph.setdefault(a, set()).add(b)
    assert _cycles(graph) == []


@pytest.mark.parametrize("name", ["license_class", "check_random_state", "atomic_path", "progress_bar",
                                  "axes_or_new", "family_members", "bfs"])
def test_one_home_per_helper(name):
    homes = [module_name(p) for p in MODULES
             if any(isinstance(n, ast.FunctionDef) and n.name == name and n.col_offset == 0
                    for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))))]
    assert len(homes) == 1, f"{name} is defined in {homes}"


def _calls(attr_or_name: str) -> list[str]:
    hits = []
    for p in MODULES:
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(n, ast.Call):
                f = n.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if name == attr_or_name:
                    hits.append(f"{module_name(p)}:{n.lineno}")
    return hits


@pytest.mark.parametrize(("call", "home"), [
    ("tqdm", "hftree._progress"),           # every progress bar through progress_bar()
    ("default_rng", "hftree._random"),      # every random_state through check_random_state()
    ("subplots", "hftree._plotting"),       # every new figure through axes_or_new()
    ("mkstemp", "hftree._atomic"),          # every file written through atomic_path()
])
def test_one_caller_of_each_primitive(call, home):
    where = sorted({h.split(":")[0] for h in _calls(call)})
    assert where in ([home], []), f"{call}() is called outside {home}: {_calls(call)}"


#: Modules that are mostly an embedded template may be longer.
TEMPLATES: set[str] = set()


def test_modules_are_small():
    long = {module_name(p): n for p in MODULES
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600 and module_name(p) not in TEMPLATES}
    assert not long, f"modules over 600 lines: {long}"
