"""The wheel adds exactly one top-level package, ``videokb``: built with pip, installed into a clean venv beside
an unrelated package named ``agent``, ``videokb.index`` and ``videokb.ingest`` import there and ``index`` does not."""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so setuptools' build/ and egg-info folders do not land in the checkout.
    src = tmp_path_factory.mktemp("src") / "videokb"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "tests", "notebooks"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(src)], check=True, timeout=600)
    (whl,) = out.glob("videokb-*.whl")
    return whl


def test_wheel_holds_only_videokb_at_top_level(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"videokb", wheel.name.split("-py")[0] + ".dist-info"}
    for sub in ("index", "ingest", "retrieval", "agent"):
        assert f"videokb/{sub}/__init__.py" in names
    assert "videokb/index/embedders/imagenet_classes.txt" in names  # package data travels too
    assert not [n for n in names if n.startswith("videokb/tests/")]


def test_installs_beside_a_package_named_agent(wheel, tmp_path):
    env = tmp_path / "clean"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    str(wheel)], check=True, timeout=600)
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "agent").mkdir()
    (purelib / "agent" / "__init__.py").write_text("WHO = 'someone else'\n")
    # The dependencies come from this environment's site-packages (appended after the clean venv's own, whose
    # .pth files are not run, so this checkout's editable install stays out of the way).
    (purelib / "deps.pth").write_text("\n".join(site.getsitepackages() + sys.path[-1:]) + "\n")
    check = (
        "import agent, videokb, videokb.index, videokb.ingest, videokb.agent, videokb.retrieval\n"
        "assert agent.WHO == 'someone else', agent.__file__\n"
        f"assert videokb.__file__.startswith({str(purelib)!r}), videokb.__file__\n"
        "try:\n    import index\nexcept ModuleNotFoundError:\n    pass\nelse:\n    raise SystemExit('import index worked')\n"
        "from videokb.index.backends import backends\n"
        "print(len(backends()))\n"
    )
    res = subprocess.run([str(python), "-c", check], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) >= 9
