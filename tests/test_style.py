"""The code follows the house style: `ruff check` (E, F, I001, UP; pyproject.toml) and
`ruff format`, on the whole tree (library, experiments, benchmarks, tests, notebooks)."""

import pathlib
import subprocess
import sys

import pytest


ROOT = pathlib.Path(__file__).parent.parent


def _ruff(*args):
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.skip("ruff is not installed (pip install -e '.[tests]')")
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check():
    res = _ruff("check", "--no-cache", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format():
    res = _ruff("format", "--no-cache", "--check", ".")
    assert res.returncode == 0, "run `ruff format .`:\n" + res.stdout + res.stderr
