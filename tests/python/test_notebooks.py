"""The notebooks in analysis/notebooks run from top to bottom without an error (in quick mode, in
the python3 kernel, which sees this process's PYTHONPATH, in a temporary directory outside the
repository: they find the scenarios through quiesce.data_dir()), are committed without outputs, and
draw their figures (strategy-intervals: the 60-run seeded sweep and its confidence intervals)."""
import os

import nbformat
import pytest

from conftest import ROOT

nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = os.path.join(ROOT, "analysis", "notebooks")


@pytest.mark.parametrize("name", ["compare-strategies.ipynb", "swap-anatomy.ipynb", "strategy-intervals.ipynb",
                                  "autonomic-policies.ipynb"])
def test_notebook_runs_without_errors(name, tmp_path, monkeypatch):
    path = os.path.join(NOTEBOOKS, name)
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    # The kernel inherits this environment: PYTHONPATH (and QUIESCE_BIN) find the package and the
    # simulator; the sweep's cache goes to a temporary directory.
    monkeypatch.setenv("QUIESCE_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("QUIESCE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # quiesce.run without out= in the kernel
    # Jupyter's and IPython's own files in the test's directory: a CI machine's HOME may be read-only.
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    # From a directory outside the repository: the notebook finds its scenarios through the package.
    work = tmp_path / "elsewhere"
    work.mkdir()
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError on the first cell that fails
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert "quick" in "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    images = [o for o in outputs if o.output_type in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    assert len(images) >= {"compare-strategies.ipynb": 1, "swap-anatomy.ipynb": 3, "strategy-intervals.ipynb": 3,
                           "autonomic-policies.ipynb": 2}[name]
    if name == "autonomic-policies.ipynb":
        # The example's two decisions, and the quick sweep: 2 thresholds x 2 windows x 1, 2 windows, one seed.
        text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        assert "8 runs in" in text and "monitor cycles per window" in text
    if name == "strategy-intervals.ipynb":
        # 4 strategies x 3 CPU counts x 5 seeds, and the comparison drawn with its intervals.
        text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
        assert "60 runs in" in text and "incomplete swaps: 0" in text
        assert "t(0.975, 4) = 2.7764" in text
        figures = [c for c in nb.cells if c.cell_type == "code" and "strategy_comparison(df)" in c.source]
        assert len(figures) == 1 and any("image/png" in o.get("data", {}) for o in figures[0].outputs)
