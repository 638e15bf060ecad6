"""The package's public surface: the client stays free of dagster, every export resolves, and a plain
install brings every module the non-sandbox code imports."""

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import ntropy_dagster
from ntropy_dagster.client import __all__ as client_all


def test_importing_the_client_does_not_import_dagster_or_sqlalchemy() -> None:
    code = (
        "import sys, ntropy_dagster.client; "
        "bad = [m for m in ('dagster', 'sqlalchemy', 'pandas') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_resolves() -> None:
    for name in ntropy_dagster.__all__:
        assert getattr(ntropy_dagster, name) is not None, name
    import ntropy_dagster.client as client

    for name in client_all:
        assert getattr(client, name) is not None, name


def test_version_is_exposed() -> None:
    assert ntropy_dagster.__version__.count(".") == 2


def _distribution_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _core_closure() -> set[str]:
    """Distributions a plain ``pip install ntropy-dagster`` brings: core requirements, transitively."""
    seen: set[str] = set()
    pending = ["ntropy-dagster"]
    while pending:
        try:
            requirements = metadata.requires(pending.pop()) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if ";" in requirement and "extra" in requirement.split(";", 1)[1]:
                continue  # only installed with an extra
            name = _distribution_name(requirement)
            if name not in seen:
                seen.add(name)
                pending.append(name)
    return seen


def test_module_level_imports_outside_the_sandbox_come_with_a_plain_install() -> None:
    # The warehouse once imported pyarrow while only the duckdb extra declared it.
    core = _core_closure()
    providers = metadata.packages_distributions()
    package_dir = Path(ntropy_dagster.__file__).parent
    missing = []
    for path in sorted(package_dir.rglob("*.py")):
        if "sandbox" in path.relative_to(package_dir).parts:
            continue  # the sandbox extra
        for node in ast.parse(path.read_text()).body:  # module level only: lazy imports are optional
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("ntropy_dagster", "__future__"):
                    continue
                dists = {d.lower().replace("_", "-") for d in providers.get(top, [])}
                if not dists & core:
                    missing.append(f"{path.relative_to(package_dir)}: {module}")
    assert not missing, missing


def test_the_core_never_imports_dagster() -> None:
    """The layering rule: client and core do the work without Dagster; only ntropy_dagster.dagster wires it."""
    package_dir = Path(ntropy_dagster.__file__).parent
    core_modules = sorted(
        ".".join(("ntropy_dagster", *path.relative_to(package_dir).with_suffix("").parts)).removesuffix(
            ".__init__"
        )
        for layer in ("client", "core")
        for path in (package_dir / layer).rglob("*.py")
    )
    assert "ntropy_dagster.core.submission" in core_modules
    code = (
        "import importlib, sys\n"
        f"for name in {core_modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'dagster' or m.startswith('dagster.'))\n"
        "assert not bad, bad[:5]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _module_name(path: Path, root: Path) -> str:
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts).removesuffix(".__init__")


def _is_type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _imported_names(
    tree: ast.AST, module: str, is_package: bool, *, type_checking: bool = False
) -> Iterator[str]:
    """Every module an import statement names (module level and inside functions), skipping
    ``if TYPE_CHECKING:`` blocks unless ``type_checking``; ``from pkg import name`` names ``pkg`` and
    ``pkg.name``."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if not type_checking and _is_type_checking_block(node):
            assert isinstance(node, ast.If)
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        pending.extend(ast.iter_child_nodes(node))


def import_graph(root: Path, *, type_checking: bool = False) -> dict[str, set[str]]:
    """Module -> the modules of the package at ``root`` that importing it runs (with ``type_checking``:
    also those it imports for the type checker only).

    A package stands for its ``__init__``. Importing ``a.b.c`` runs ``a`` and ``a.b`` too, so those are
    edges as well, except a module's own ancestor packages (an ``__init__`` re-exports its children).
    """
    paths = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        targets: set[str] = set()
        tree = ast.parse(path.read_text())
        for name in _imported_names(tree, module, path.name == "__init__.py", type_checking=type_checking):
            parts = name.split(".")
            targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        graph[module] = {t for t in targets if t in paths and t != module and t not in ancestors}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that starts and ends at the same module, or None."""
    on_path: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        on_path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return [*on_path[on_path.index(nxt) :], nxt]
            if nxt not in done and (found := visit(nxt)):
                return found
        done.add(on_path.pop())
        return None

    for node in sorted(graph):
        if node not in done and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle() -> None:
    """Not at run time (function-level imports count), and not for the type checker either: the old
    factory <-> sensors pair was a function-level import one way and a ``TYPE_CHECKING`` one the other."""
    root = Path(ntropy_dagster.__file__).parent
    graph = import_graph(root)
    assert "ntropy_dagster.dagster.assets.factory" in graph["ntropy_dagster.dagster.assets"]
    for type_checking in (False, True):
        cycle = find_cycle(import_graph(root, type_checking=type_checking))
        assert cycle is None, f"type_checking={type_checking}: " + " -> ".join(cycle or [])


def _write_package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


#: The old layout: the factory imported the sensor builder inside a function; the sensor module imported
#: the factory's keys from the package (whose ``__init__`` imports the factory) for the type checker.
_OLD_FACTORY_SENSORS = {
    "__init__.py": "",
    "dagster/assets/__init__.py": "from pkg.dagster.assets.factory import PipelineKeys\n",
    "dagster/assets/factory.py": "class PipelineKeys: ...\n\n\n"
    "def build():\n    from pkg.dagster.sensors import build_sensor\n",
    "dagster/assets/common.py": "POOL = 'p'\n",
    "dagster/sensors.py": "from typing import TYPE_CHECKING\n\n"
    "if TYPE_CHECKING:\n    from pkg.dagster.assets import PipelineKeys\n",
}


def test_the_cycle_finder_catches_the_old_factory_sensors_pair(tmp_path: Path) -> None:
    root = _write_package(tmp_path / "pkg", _OLD_FACTORY_SENSORS)
    assert find_cycle(import_graph(root, type_checking=True)) == [
        "pkg.dagster.assets",
        "pkg.dagster.assets.factory",
        "pkg.dagster.sensors",
        "pkg.dagster.assets",
    ]
    # At run time the TYPE_CHECKING guard hid it ...
    assert find_cycle(import_graph(root)) is None
    # ... until the sensor module needed the package at run time (importing a submodule runs its
    # package's __init__).
    (root / "dagster/sensors.py").write_text("from pkg.dagster.assets.common import POOL\n")
    assert find_cycle(import_graph(root)) == [
        "pkg.dagster.assets",
        "pkg.dagster.assets.factory",
        "pkg.dagster.sensors",
        "pkg.dagster.assets",
    ]
    # A submodule importing its own package's __init__ (which re-exports it) is not a cycle.
    (root / "dagster/sensors.py").write_text("")
    (root / "dagster/assets/common.py").write_text("import pkg.dagster.assets\n")
    assert find_cycle(import_graph(root, type_checking=True)) is None


def test_no_function_of_the_dagster_layer_is_longer_than_80_lines() -> None:
    """Asset bodies are wrappers around named steps; no factory grows closures carrying the logic again."""
    layer = Path(ntropy_dagster.__file__).parent / "dagster"
    long = []
    for path in sorted(layer.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            docstring = node.body[0] if ast.get_docstring(node) else None
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if docstring is not None:
                lines -= (docstring.end_lineno or docstring.lineno) - docstring.lineno + 1
            if lines > 80:
                long.append(f"{path.relative_to(layer)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long
