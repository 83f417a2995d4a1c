"""Each notebook's code cells run top to bottom against the public API (slow: the real models ingest)."""

import json
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, corpus, tmp_path, monkeypatch):
    (tmp_path / "library").mkdir()
    for v in corpus[:2]:  # two videos keep it quick; the notebook makes the sample itself when run by hand
        shutil.copy(v.path, tmp_path / "library" / v.path.name)
    monkeypatch.setenv("VIDEOKB_NOTEBOOK_DIR", str(tmp_path))
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    namespace: dict = {}
    for cell in cells:
        exec(compile("".join(cell["source"]), f"{path.name}", "exec"), namespace)
    assert namespace["moments"][0].video_path.endswith("city_council_meeting.mp4")
