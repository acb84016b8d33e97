"""Shared fixtures. Real official data lives beside the project in
../shared/data/dfe and is read in place, never copied into the project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DFE = ROOT.parent / "shared" / "data" / "dfe"

os.environ.setdefault("MPLBACKEND", "Agg")


def require_real_data() -> Path:
    if not SHARED_DFE.exists():
        pytest.skip(f"real official data not found at {SHARED_DFE}")
    return SHARED_DFE


@pytest.fixture(scope="session")
def real_dir() -> Path:
    return require_real_data()


@pytest.fixture(scope="session")
def store_cache(tmp_path_factory) -> Path:
    # shared by every xdist worker of one run, so the real store is built once
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "store-cache"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def real_store(real_dir, store_cache):
    from helpers.store import load_store
    return load_store(real_dir, store_cache)


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    from helpers.demo import generate_demo_data
    out = tmp_path_factory.mktemp("demo-raw")
    generate_demo_data(out)
    return out


@pytest.fixture(scope="session")
def demo_store(demo_raw, store_cache):
    from helpers.store import load_store
    return load_store(demo_raw, store_cache, is_demo=True)


@pytest.fixture
def real_copy(real_dir, tmp_path) -> Path:
    """A writable copy of the real DfE CSV releases in a temporary folder (for
    tests that damage or add files); never inside the project. The MHCLG and
    Ofsted spreadsheets are left out to keep rebuilds quick."""
    dest = tmp_path / "raw"
    dest.mkdir()
    for p in real_dir.glob("*.csv"):
        shutil.copy(p, dest / p.name)
        (dest / p.name).chmod(0o644)
    return dest
