import os
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient


NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, monkeypatch):
    """Each tutorial runs top to bottom in smoke mode (MEMJAX_SMOKE=1 shrinks its sizes)."""
    monkeypatch.setenv("MEMJAX_SMOKE", "1")
    monkeypatch.setenv("PYTHONPATH", str(path.parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
