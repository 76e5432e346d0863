"""The package's shape: which layer imports which, the largest modules, and the most complex
functions. Standard library only (`ast`), so it runs on any checkout, old or new:

    python bench/structure.py [ROOT]

Layers are the folders of `phx_tasklint/` (a top-level module is its own layer) and
`mypy_plugin/`. An import anywhere in a module counts, inside functions too. Complexity is
McCabe's: one plus each branch point (`if`, loop, `except`, `with`, boolean operator, `match`
case, comprehension condition, conditional expression, `assert`) in the function's own body,
not its nested functions'.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGES = ("phx_tasklint", "mypy_plugin")


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "phx_tasklint" or len(parts) == 1:
        return parts[0]
    return ".".join(parts[:2])


def imported(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `module` imports, anywhere in it."""
    tree = ast.parse(path.read_bytes())
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def module_graph(root: Path) -> dict[str, set[str]]:
    """Each module and the modules of ours it imports; importing a module imports the packages
    above it, so an edge to one of those is left out (it is not a cycle worth naming)."""
    mods = modules(root)
    return {
        name: {t for t in imported(name, path, set(mods)) if not name.startswith(t + ".")}
        for name, path in mods.items()
    }


def layer_graph(root: Path) -> dict[str, set[str]]:
    """Each layer and the other layers its modules import (the top package aside)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for name, targets in module_graph(root).items():
        graph[layer(name)]
        for target in targets:
            if layer(target) != layer(name) and target not in PACKAGES:
                graph[layer(name)].add(layer(target))
    return dict(graph)


class _Complexity(ast.NodeVisitor):
    BRANCHES = (
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.While,
        ast.ExceptHandler,
        ast.With,
        ast.AsyncWith,
        ast.IfExp,
        ast.Assert,
        ast.match_case,
    )

    def __init__(self) -> None:
        self.score = 1

    def generic_visit(self, node: ast.AST) -> None:
        if isinstance(node, self.BRANCHES):
            self.score += 1
        elif isinstance(node, ast.BoolOp):
            self.score += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            self.score += len(node.ifs)
        super().generic_visit(node)

    def visit_FunctionDef(self, node: ast.AST) -> None:  # nested: counted on their own
        pass

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef


def functions(root: Path) -> list[tuple[int, int, str]]:
    """(complexity, lines, module:qualified name) of every function."""
    out = []
    for name, path in modules(root).items():
        tree = ast.parse(path.read_bytes())
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    qualified = f"{prefix}{child.name}"
                    if not isinstance(child, ast.ClassDef):
                        visitor = _Complexity()
                        for statement in child.body:
                            visitor.visit(statement)
                        lines = (child.end_lineno or child.lineno) - child.lineno + 1
                        out.append((visitor.score, lines, f"{name}:{qualified}"))
                    stack.append((child, qualified + "."))
                else:
                    stack.append((child, prefix))
    return out


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    print("layer -> layers it imports")
    for name, targets in sorted(layer_graph(root).items()):
        print(f"  {name:28} {', '.join(sorted(targets)) or '-'}")
    sizes = sorted(
        ((len(p.read_text(encoding="utf-8").splitlines()), n) for n, p in modules(root).items()),
        reverse=True,
    )
    print("\nlargest modules (lines)")
    for lines, name in sizes[:5]:
        print(f"  {lines:6}  {name}")
    print("\nmost complex functions (McCabe, lines)")
    for score, lines, name in sorted(functions(root), reverse=True)[:5]:
        print(f"  {score:4} {lines:5}  {name}")


if __name__ == "__main__":
    main()
