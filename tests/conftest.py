"""Shared fixtures. Real official data lives beside the project in
../shared/data/dfe and is read in place, never copied into the project."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DFE = ROOT.parent / "shared" / "data" / "dfe"

os.environ.setdefault("MPLBACKEND", "Agg")


def require_real_data() -> Path:
    if not SHARED_DFE.exists():
        pytest.skip(f"real official data not found at {SHARED_DFE}")
    return SHARED_DFE


@contextmanager
def scrutiny_env(**values):
    """Set SCRUTINY_* variables (and restore them after) for module-scoped
    fixtures, which cannot use the function-scoped monkeypatch."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(f"SCRUTINY_{key.upper()}", str(value))
        yield


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
def every_comparison(real_store):
    """compare_all's table of the real store and, for each of its rows, the
    single-council comparison (tests using it share xdist_group
    "every_comparison", so one worker computes it once)."""
    from helpers.stats import compare_all, compare_indicator
    table = compare_all(real_store)
    comps = {(r.area_code, r.indicator): compare_indicator(real_store, r.area_code, r.indicator)
             for r in table[["area_code", "indicator"]].itertuples()}
    return table, comps


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


# ----------------------------------------------------------------- built packs
# One demo pack (every section, the project's own notebooks) and one real pack
# (a few sections) per test session, shared by the browser, PDF and hostile
# input tests. Tests that use them belong to xdist_group("packs"), so one
# worker builds each pack once.

ARTIFACTS = ROOT / "test-artifacts"
REAL_PACK_COUNCIL = "Dorset"
REAL_PACK_SECTIONS = ("summary", "members", "workforce", "spending")
PACK_COMMITTEE = "Children's Scrutiny <Committee> & Panel"


@pytest.fixture(scope="session")
def packs_env(tmp_path_factory, store_cache):
    """A reports folder for the session's packs, and the shared store cache
    for the kernels that build them."""
    base = tmp_path_factory.mktemp("session-packs")
    old = os.environ.get("SCRUTINY_CACHE_DIR")
    os.environ["SCRUTINY_CACHE_DIR"] = str(store_cache)
    yield base
    if old is None:
        os.environ.pop("SCRUTINY_CACHE_DIR", None)
    else:
        os.environ["SCRUTINY_CACHE_DIR"] = old


def _keep_artifact(src: Path, name: str) -> None:
    dest = ARTIFACTS / "packs" / name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


@pytest.fixture(scope="session")
def demo_pack(packs_env):
    """A full demo pack built with the project's notebooks (data="demo")."""
    from helpers.pack import build_pack
    from helpers.store import open_store
    store = open_store("demo")
    code = str(store.councils().iloc[0]["area_code"])
    res = build_pack(council=code, data="demo", committee=PACK_COMMITTEE, meeting_date="2026-01-20",
                     reports_dir=packs_env / "reports")
    for kind in ("html", "pdf"):
        _keep_artifact(getattr(res, kind), f"demo-pack.{kind}")
    return res


@pytest.fixture(scope="session")
def real_pack(packs_env, real_dir):
    """A real pack (official data, the project's notebooks, a few sections)."""
    from helpers.pack import build_pack
    res = build_pack(council=REAL_PACK_COUNCIL, data=str(real_dir), sections=REAL_PACK_SECTIONS,
                     committee=PACK_COMMITTEE, meeting_date="2026-01-20", reports_dir=packs_env / "reports")
    for kind in ("html", "pdf"):
        _keep_artifact(getattr(res, kind), f"real-pack.{kind}")
    return res

