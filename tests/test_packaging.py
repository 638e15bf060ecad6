"""The package's public surface: the client stays free of dagster, every export resolves."""

import subprocess
import sys

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
