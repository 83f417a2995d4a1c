"""The notebooks: committed with their outputs (thumbnails, a plot), and executed top to bottom by a real
Jupyter kernel (nbclient) against the public API (slow: the real models ingest two sample videos)."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = {p.name: p for p in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))}
# What each notebook's outputs must show, besides every code cell having some and none failing.
EXPECT = {
    "quickstart.ipynb": ["city_council_meeting.mp4", "bakery_tour.mp4", "answer:"],
    "explore_events.ipynb": ["speech", "ocr", "Riverside playground"],
}


def _outputs(nb) -> list[list[dict]]:
    return [c.get("outputs", []) for c in nb.cells if c.cell_type == "code"]


def _check(nb, name: str) -> None:
    outputs = _outputs(nb)
    empty = [i for i, outs in enumerate(outputs) if not outs]
    assert not empty, f"{name}: code cells {empty} have no output"
    errors = [o for outs in outputs for o in outs if o.get("output_type") == "error"]
    assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    images = [o for outs in outputs for o in outs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no image among the outputs"
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for outs in outputs for o in outs)
    for want in EXPECT[name]:
        assert want in text, f"{name}: {want!r} not in the outputs"


def test_expectations_cover_every_notebook():
    assert set(EXPECT) == set(NOTEBOOKS)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_committed_with_outputs(name):
    """The notebooks in the repo carry the outputs of a run, so they read as documentation on GitHub."""
    _check(nbformat.read(NOTEBOOKS[name], as_version=4), name)


@pytest.fixture(scope="module")
def notebook_dir(corpus, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    (d / "library").mkdir()
    for v in corpus[:2]:  # two videos keep it quick; by hand the notebook makes the whole sample itself
        shutil.copy(v.path, d / "library" / v.path.name)
    return d


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_notebook_runs(name, notebook_dir, monkeypatch):
    monkeypatch.setenv("VIDEOKB_NOTEBOOK_DIR", str(notebook_dir))  # the kernel inherits the environment
    nb = nbformat.read(NOTEBOOKS[name], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(notebook_dir)}}).execute()
    _check(nb, name)
