"""The package's public surface: the client stays free of dagster, every export resolves, and a plain
install brings every module the non-sandbox code imports."""

import ast
import re
import subprocess
import sys
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
