"""The indicator store: one tidy long table of every catalogue indicator for
every area and period, built from the official releases in a folder and
cached as Parquet so a pack never re-parses the raw files.

The cache is keyed by a content hash of the input files, the catalogue and
this module's schema version: it is rebuilt only when one of them changes.
A build writes into a temporary folder and renames it into place, so a failed
build leaves the previous store intact.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .data import snapshot
from .paths import file_sha256
from .errors import DataFileError, ScrutinyError, UnknownLayoutError
from .catalogue import Catalogue, Indicator, load_catalogue
from .loaders import identify, load
from .loaders.dfe import OBSERVATION_COLUMNS
from .aggregate import computed_areas
from .data import rules
from .joins import NAME_KEYED, ONS_KEYED, attach_name_keyed, attach_ons_keyed

SCHEMA_VERSION = "5"
INDICATOR_COLUMNS = ["area_code", "area_name", "level", "region_code", "region_name", "period",
                     "indicator", "value", "numerator", "denominator", "status", "source"]
ANNOTATION_COLUMNS = ["indicator", "area_code", "period", "note", "lower_95", "upper_95", "lower_998", "upper_998"]
AREA_COLUMNS = ["area_code", "area_name", "level", "ons_code", "region_code", "region_name",
                "first_period", "last_period", "is_joint", "joint_members", "note"]
_IGNORED_SUFFIXES = {".md", ".txt", ".json", ".yml", ".yaml", ".partial", ".tmp"}
_KEEP_CACHES = 3


@dataclass
class IndicatorStore:
    """Everything a pack needs, loaded from the cache.

    indicators  the tidy long table (columns INDICATOR_COLUMNS)
    areas       one row per area (columns AREA_COLUMNS)
    neighbours  model, area_code, rank, neighbour_code, closeness
    inspections Ofsted's latest judgements per council (may be empty)
    inputs      file, publication, sha256, size for every input file
    catalogue   the indicator catalogue
    warnings    files skipped and other notes from the build
    snapshot    the immutable folder the store was read from (None when built in memory)
    missing_measures  indicators whose recognised file lacks a measure they need:
                {indicator, label, publication, files, measures}
    annotations what a figure's publisher says about it, and how a computed
                regional or England figure was made: indicator, area_code,
                period, note, and the publisher's own confidence limits
                (lower_95, upper_95, lower_998, upper_998) where it gives them
    """

    indicators: pd.DataFrame
    areas: pd.DataFrame
    neighbours: pd.DataFrame
    inspections: pd.DataFrame
    inputs: pd.DataFrame
    catalogue: Catalogue
    warnings: list[str] = field(default_factory=list)
    key: str = ""
    is_demo: bool = False
    snapshot: Path | None = None
    missing_measures: list = field(default_factory=list)
    annotations: pd.DataFrame = field(default_factory=lambda: _annotation_frame([]))

    # ------------------------------------------------------------ look-ups
    def councils(self) -> pd.DataFrame:
        """Councils (not joint returns), current ones first, with the
        periods for which the store holds figures."""
        a = self.areas[(self.areas["level"] == "la") & ~self.areas["is_joint"]]
        return a.sort_values(["last_period", "area_name"], ascending=[False, True]).reset_index(drop=True)

    def latest_period(self, indicator: str | None = None) -> int:
        frame = self.indicators
        if indicator:
            frame = frame[frame["indicator"] == indicator]
        ok = frame[frame["status"] == "ok"]
        return int(ok["period"].max())

    def series(self, area_code: str, indicator: str) -> pd.DataFrame:
        f = self.indicators
        return f[(f["area_code"] == area_code) & (f["indicator"] == indicator)].sort_values("period")

    def value(self, area_code: str, indicator: str, period: int) -> float:
        f = self.indicators
        row = f[(f["area_code"] == area_code) & (f["indicator"] == indicator) & (f["period"] == period)]
        return float(row["value"].iloc[0]) if len(row) else float("nan")

    def area(self, area_code: str) -> pd.Series:
        rows = self.areas[self.areas["area_code"] == area_code]
        if rows.empty:
            raise KeyError(area_code)
        return rows.iloc[0]

    def resolve(self, query: str) -> str:
        """A council's area code from a name, DfE number or ONS code."""
        from .geography import resolve_council
        return resolve_council(str(query), self.areas)


# ---------------------------------------------------------------- discovery

def discover_inputs(raw_dirs) -> list[Path]:
    """Every candidate input file under the given folders (not recursive into
    hidden folders), sorted for a stable hash."""
    files: list[Path] = []
    for d in _as_list(raw_dirs):
        d = Path(d)
        if not d.exists():
            raise ScrutinyError(f"{d}: data folder not found. Run 'scrutiny fetch' to download the official "
                                f"releases, 'scrutiny ingest FILE...' to add files you downloaded, or "
                                f"'scrutiny demo' for demo data.")
        for p in sorted(d.iterdir()):
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in _IGNORED_SUFFIXES:
                files.append(p)
    return files


def _as_list(value) -> list:
    if isinstance(value, (str, os.PathLike)):
        return [value]
    return list(value)


def input_key(files: list[Path], catalogue_path: Path, is_demo: bool = False) -> tuple[str, list[dict]]:
    """The key of the snapshot the files would build (each file read once),
    and a record per file."""
    records = [{"file": str(f), "name": f.name, "sha256": file_sha256(f), "size": f.stat().st_size}
               for f in files]
    return snapshot.key_of(records, Path(catalogue_path).read_bytes(), _salt(is_demo)), records


def _salt(is_demo: bool) -> str:
    return f"schema={SCHEMA_VERSION}|demo={int(bool(is_demo))}"


# ------------------------------------------------------------------- public

def load_store(raw_dir=None, cache_dir=None, catalogue_path=None, *, rebuild: bool = False,
               is_demo: bool | None = None, allow_missing_measures: bool = False) -> IndicatorStore:
    """Load the store for the files in ``raw_dir`` (a folder or list of
    folders), building it first if the inputs or the catalogue changed.

    raw_dir         folder(s) of official releases; default data/raw
    cache_dir       where built stores are kept; default data/cache
    catalogue_path  the indicator catalogue; default data/indicators.yml
    rebuild         build even when a cached store matches
    allow_missing_measures  open a store whose recognised files lack measures the
                    catalogue needs (their figures say so); otherwise that is an error

    The store returned is an immutable snapshot (``store.snapshot``, a
    folder): pass that folder as ``data`` to open exactly the same figures
    later, whatever has happened to the raw files since.
    """
    raw_dir = raw_dir if raw_dir is not None else paths.raw_dir()
    cache_dir = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
    catalogue_path = Path(catalogue_path) if catalogue_path else paths.DEFAULT_CATALOGUE
    files = discover_inputs(raw_dir)
    if not files:
        raise ScrutinyError(f"{', '.join(map(str, _as_list(raw_dir)))}: no data files found. Run 'scrutiny fetch', "
                            f"'scrutiny ingest FILE...' or 'scrutiny demo'.")
    if is_demo is None:
        demo_root = paths.demo_dir().resolve()
        is_demo = all(demo_root in Path(d).resolve().parents or Path(d).resolve() == demo_root
                      for d in _as_list(raw_dir))
    key, _ = input_key(files, catalogue_path, is_demo)
    target = cache_dir / f"store-{key}"
    if not rebuild and str(target.resolve()) in _MEMO:
        return check_measures(_MEMO[str(target.resolve())], allow_missing_measures)
    snapshot.clean_leftovers(cache_dir, ".store-*")
    catalogue = load_catalogue(catalogue_path)
    store = None
    if target.exists() and not rebuild:
        try:
            store = _read_cached(target, catalogue)
        except snapshot.DamagedSnapshot as exc:
            print(f"warning: damaged store cache, rebuilt: {exc}", file=sys.stderr)
    if store is None:
        target = _build_snapshot(cache_dir, files, catalogue, catalogue_path, is_demo)
        store = _read_cached(target, catalogue)
        _prune_caches(cache_dir, keep=target)
    _remember(target, store)
    return check_measures(store, allow_missing_measures)


def check_measures(store: IndicatorStore, allow: bool = False) -> IndicatorStore:
    """The store, or :class:`MissingMeasuresError` when a recognised file
    lacks measures the catalogue needs and the user has not chosen to go on."""
    if store.missing_measures and not allow:
        raise MissingMeasuresError(store.missing_measures)
    return store


class MissingMeasuresError(ScrutinyError):
    """Recognised releases lack measures the catalogue needs."""

    def __init__(self, missing: list[dict]):
        self.missing = missing
        lines = "; ".join(rules.missing_line(m) for m in missing)
        super().__init__(f"The releases lack measures the catalogue needs: {lines}. Download the publication again "
                         f"(a column renamed or a category reworded in a new layout is added to helpers/loaders/layouts.py), or build with "
                         f"--allow-missing-measures to go on: those figures are then shown as missing from the "
                         f"release and the command exits with status 1.")


def _remember(folder: Path, store: IndicatorStore) -> None:
    """Keep a loaded store for this process (the newest few: a warm kernel
    lives through many builds, each on its own snapshot)."""
    while len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[str(folder.resolve())] = store


_MEMO_SIZE = 4
#: Stores already loaded in this process, by snapshot folder: a warm kernel
#: that runs one section notebook after another loads the store once.
_MEMO: dict = {}


def open_snapshot(folder, catalogue_path=None) -> IndicatorStore:
    """The store in a snapshot folder (``store.snapshot``), exactly as it was
    built; a damaged snapshot is an error that says to run again."""
    folder = Path(folder)
    memo = _MEMO.get(str(folder.resolve()))
    if memo is not None:
        return memo
    try:
        store = _read_cached(folder, load_catalogue(catalogue_path or paths.DEFAULT_CATALOGUE))
    except snapshot.DamagedSnapshot as exc:
        raise ScrutinyError(f"The store snapshot this build uses is damaged ({exc}). Run the build again: "
                            f"the store is rebuilt from the releases.") from None
    _remember(folder, store)
    return store


def open_store(data: str | os.PathLike | None = None, cache_dir=None, *,
               allow_missing_measures: bool = False) -> IndicatorStore:
    """The store for a notebook's ``data`` parameter: ``"demo"`` (generated
    demo data, created on first use), ``"official"`` or None (data/raw), a
    folder of releases, or a store snapshot folder (``store.snapshot``, opened
    as it is: the build that chose it has checked it)."""
    allow = allow_missing_measures
    if data in (None, "", "official"):
        return load_store(paths.raw_dir(), cache_dir, allow_missing_measures=allow)
    if str(data) == "demo":
        demo_raw = demo_data()
        return load_store(demo_raw, cache_dir, is_demo=True, allow_missing_measures=allow)
    if snapshot.is_snapshot(data):
        return open_snapshot(data)
    return load_store(Path(data), cache_dir, allow_missing_measures=allow)


#: The file in the demo folder that names the generator that wrote it.
DEMO_STAMP = ".generated-by"


def demo_data() -> Path:
    """The demo releases (data/demo/raw), generated on first use and again
    whenever the demo generator has changed since they were written (an
    upgrade that adds publications gives the demo their files too)."""
    from .demo import generator_version
    demo_raw = paths.demo_dir() / "raw"
    version = generator_version()
    try:
        current = (demo_raw / DEMO_STAMP).read_text(encoding="utf-8").strip()
    except OSError:
        current = ""
    if current != version:
        _generate_atomically(demo_raw, version)
    return demo_raw


def _generate_atomically(dest: Path, version: str) -> None:
    """Write the demo files into a new folder beside ``dest`` and swap it in
    (a build already running keeps its store snapshot)."""
    from .demo import generate_demo_data
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".demo-", dir=dest.parent))
    old = dest.parent / f".demo-old-{os.getpid()}-{time.time_ns()}"
    try:
        generate_demo_data(tmp)
        (tmp / DEMO_STAMP).write_text(version + "\n", encoding="utf-8")
        for p in [tmp, *tmp.iterdir()]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        if dest.exists():
            os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except OSError:
            if not (dest / DEMO_STAMP).is_file():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


# -------------------------------------------------------------------- cache

def _read_cached(target: Path, catalogue: Catalogue) -> IndicatorStore:
    meta, frames = snapshot.read_tables(target)
    if meta.get("schema") != SCHEMA_VERSION:
        raise snapshot.DamagedSnapshot(f"{target}: built by another version of the store (schema "
                                       f"{meta.get('schema')}, this is {SCHEMA_VERSION})")
    return IndicatorStore(catalogue=catalogue, warnings=meta.get("warnings", []), key=meta["key"],
                          is_demo=bool(meta.get("is_demo", False)), snapshot=target,
                          missing_measures=meta.get("missing_measures", []), **frames)


def _prune_caches(cache_dir: Path, keep: Path) -> None:
    """Keep the newest snapshots and every one a running build holds."""
    held = snapshot.leased(cache_dir)
    stores = sorted(cache_dir.glob("store-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stores[_KEEP_CACHES:]:
        if old != keep and old.name not in held and not old.is_symlink():
            snapshot.discard(old)


def _build_snapshot(cache_dir: Path, files, catalogue, catalogue_path: Path, is_demo: bool) -> Path:
    """Copy the inputs (hashing them as read), build the store from the
    copies and rename it into place under the key of those bytes."""
    tmp = snapshot.owned_tempdir(cache_dir, ".store-")
    try:
        records = snapshot.copy_inputs(files, tmp / "inputs")
        key = snapshot.key_of(records, Path(catalogue_path).read_bytes(), _salt(is_demo))
        built = _build_from_copies(records, catalogue)
        inputs = pd.DataFrame([{k: r[k] for k in ("file", "name", "sha256", "size")} for r in records])
        inputs = inputs.merge(built.inputs, on="file", how="left")
        shutil.rmtree(tmp / "inputs")
        (tmp / snapshot.OWNER_FILE).unlink()
        meta = {"key": key, "schema": SCHEMA_VERSION, "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "warnings": built.warnings, "is_demo": bool(is_demo), "missing_measures": built.missing_measures}
        frames = {name: getattr(built, name) for name in ("indicators", "areas", "neighbours", "inspections",
                                                          "annotations")}
        snapshot.write_tables(tmp, {**frames, "inputs": inputs}, meta)
        target = cache_dir / f"store-{key}"
        if target.exists():
            snapshot.discard(target)  # damaged, or --rebuild
        try:
            os.rename(tmp, target)
        except OSError:
            # another process built the same bytes first; its store is identical
            if not snapshot.is_snapshot(target):
                raise
        return target
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _build_from_copies(records: list[dict], catalogue) -> "IndicatorStore":
    """Build from the snapshot's copies; errors and the inputs table name the
    original files."""
    originals = {str(r["copy"]): r["file"] for r in records}
    try:
        built = build([r["copy"] for r in records], catalogue, names={str(r["copy"]): r["name"] for r in records})
    except DataFileError as exc:
        raise _renamed(exc, originals) from None
    built.inputs["file"] = built.inputs["file"].map(lambda f: originals.get(f, f))
    return built


def _renamed(exc: DataFileError, originals: dict) -> DataFileError:
    path = originals.get(str(exc.path), exc.path)
    fresh = type(exc).__new__(type(exc))
    DataFileError.__init__(fresh, path, exc.detail, row=exc.row, column=exc.column, value=exc.value, hint=exc.hint)
    for k, v in vars(exc).items():
        if k not in vars(fresh):
            setattr(fresh, k, v)
    return fresh


# -------------------------------------------------------------------- build

def build(files, catalogue: Catalogue | None = None, names: dict | None = None) -> IndicatorStore:
    """Build the store in memory from input files (no cache). ``names`` gives
    the file name to show for a path (the original of a snapshot's copy)."""
    catalogue = catalogue or load_catalogue()
    names = names or {}
    warns: list[str] = []
    by_pub: dict[str, list[tuple[Path, pd.DataFrame]]] = {}
    input_rows = []
    for f in files:
        f = Path(f)
        try:
            pub = identify(f)
        except UnknownLayoutError as exc:
            warns.append(f"Skipped {names.get(str(f), f.name)}: {exc.detail}. {exc.hint or ''}".strip())
            input_rows.append({"file": str(f), "publication": "unrecognised"})
            continue
        if pub == "local_figures":
            warns.append(f"Skipped {names.get(str(f), f.name)}: it is a council's own monthly figures file; put it in data/local/ "
                         f"(scrutiny ingest does this) so the local performance section reads it.")
            input_rows.append({"file": str(f), "publication": pub})
            continue
        _, frame = load(f, pub)
        by_pub.setdefault(pub, []).append((f, frame))
        input_rows.append({"file": str(f), "publication": pub})

    obs = _observations(by_pub, warns, names)
    # an area's life is DfE's: OHID's figures for today's councils reach back
    # before some of them existed (Dorset 838 from 2010/11)
    areas = _areas(obs[~obs["source"].isin(ONS_KEYED + NAME_KEYED)])
    obs = obs.merge(areas[["area_code", "area_name"]].rename(columns={"area_name": "display_name"}),
                    on="area_code", how="left")
    obs["area_name"] = obs["display_name"].fillna(obs["area_name"])
    obs = obs.drop(columns="display_name")
    missing: list[dict] = []
    indicators = _indicators(obs, catalogue, warns, missing, areas, notes=_layout_notes(by_pub))
    annotations = _annotations(obs, catalogue)
    indicators, annotations = _add_computed_areas(indicators, annotations, areas, catalogue)
    neighbours = _neighbours(by_pub, areas, warns)
    inspections = _inspections(by_pub, areas)
    return IndicatorStore(indicators=indicators, areas=areas, neighbours=neighbours, inspections=inspections,
                          inputs=pd.DataFrame(input_rows, columns=["file", "publication"]),
                          catalogue=catalogue, warnings=warns, missing_measures=missing, annotations=annotations)


_NON_OBSERVATION = ("sn_model_2025", "sn_model_2021", "utla_lookup", "ofsted_inspections", "local_figures")


def _combine_releases(items, warns, names=None) -> pd.DataFrame:
    """Concatenate observations; where two releases of one publication
    overlap, the newer release wins, judged by content (see
    :func:`helpers.data.rules.choose_releases`), never by file name."""
    if not items:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS + ["file"])
    by_pub: dict[str, list] = {}
    for pub, f, frame in items:
        by_pub.setdefault(pub, []).append(((names or {}).get(str(f), Path(f).name), frame))
    return pd.concat([rules.choose_releases(pub, releases, warns) for pub, releases in by_pub.items()],
                     ignore_index=True)


def _observations(by_pub, warns, names=None) -> pd.DataFrame:
    """Every release's observations, councils keyed by DfE's LA number: the
    DfE releases first, then the publications keyed by ONS code (MHCLG, OHID)
    or by name (Ofsted's providers), matched against them (:mod:`helpers.joins`).
    Where two releases of one of those overlap, the newer wins, as for DfE's."""
    def label(f):
        return (names or {}).get(str(f), Path(f).name)

    plain = [(p, f, fr) for p, found in by_pub.items() if p not in _NON_OBSERVATION + ONS_KEYED + NAME_KEYED
             for f, fr in found]
    obs = _combine_releases(plain, warns, names)
    keyed = []
    for pub in ONS_KEYED + NAME_KEYED:
        if by_pub.get(pub):
            key = "ons_code" if pub in ONS_KEYED else "area_name"
            chosen = rules.choose_releases(pub, [(label(f), fr) for f, fr in by_pub[pub]], warns,
                                           keys=("period", key, "measure"))
            keyed.append((pub, pub, chosen))
    attached = attach_ons_keyed(obs, keyed, warns)
    if any(item[0] in NAME_KEYED for item in keyed):
        attached += attach_name_keyed(_areas(obs), keyed, warns)
    columns = [*OBSERVATION_COLUMNS, "file", "row", "column", "note"]
    obs = pd.concat([obs] + [fr[[c for c in columns if c in fr.columns]] for _, _, fr in attached], ignore_index=True)
    obs["note"] = obs["note"].fillna("").astype(str) if "note" in obs else ""
    return obs


def _add_computed_areas(indicators, annotations, areas, catalogue):
    """Regional and England rows computed from councils where the publisher
    gives none (:mod:`helpers.aggregate`), with a note saying so."""
    names = dict(zip(areas["area_code"], areas["area_name"]))
    notes = annotations[annotations["note"].str.contains("combined", case=False, na=False)]
    combined = {(i, int(p)): set(g) for (i, p), g in notes.groupby(["indicator", "period"])["area_code"]}
    rows, computed_notes = computed_areas(indicators, catalogue, names, combined)
    if rows.empty:
        return indicators, annotations
    rows = rows[INDICATOR_COLUMNS].astype({"period": "int64", "value": "float64", "numerator": "float64",
                                           "denominator": "float64"})
    table = pd.concat([indicators, rows], ignore_index=True)
    table = table.sort_values(["indicator", "area_code", "period"]).reset_index(drop=True)
    return table, _annotation_frame([annotations, computed_notes.reindex(columns=ANNOTATION_COLUMNS)])


def _annotations(obs: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Publishers' notes on the figures an indicator shows, and their own
    confidence limits where a measure ``..._value`` has siblings
    ``..._lower_95`` and so on (OHID Fingertips)."""
    noted = obs[obs["source"].isin({ind.source for ind in catalogue}) & ((obs["note"] != "")
                                                                         | obs["measure"].str.contains("_value$|_lower_|_upper_"))]
    by = {k: g for k, g in noted.groupby(["source", "measure"], sort=False)}
    frames = []
    for ind in catalogue:
        base = ind.value or (ind.numerator[0] if ind.numerator else None)
        rows = by.get((ind.source, base))
        if rows is None:
            continue
        has_limits = str(base).endswith("_value")
        rows = rows if has_limits else rows[rows["note"] != ""]
        frame = rows[["area_code", "period", "note"]].copy()
        frame["indicator"] = ind.id
        if has_limits:
            key = pd.MultiIndex.from_frame(frame[["area_code", "period"]])
            for limit in ("lower_95", "upper_95", "lower_998", "upper_998"):
                lim = by.get((ind.source, f"{base[:-len('_value')]}_{limit}"))
                if lim is not None:
                    frame[limit] = lim.set_index(["area_code", "period"])["value"].reindex(key).to_numpy(dtype=float)
        frames.append(frame.reindex(columns=ANNOTATION_COLUMNS))
    return _annotation_frame(frames)


def _annotation_frame(frames) -> pd.DataFrame:
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ANNOTATION_COLUMNS)
    out = out.reindex(columns=ANNOTATION_COLUMNS)
    out["note"] = out["note"].fillna("").astype(str)
    limits = ["lower_95", "upper_95", "lower_998", "upper_998"]
    out[limits] = out[limits].astype("float64")
    return out.astype({"period": "int64", "indicator": str, "area_code": str})


def _areas(obs: pd.DataFrame) -> pd.DataFrame:
    if obs.empty:
        return pd.DataFrame(columns=AREA_COLUMNS)
    ordered = obs.sort_values("period")
    latest = ordered.drop_duplicates("area_code", keep="last").set_index("area_code")
    ok = obs[obs["status"] == "ok"]
    span = ok.groupby("area_code")["period"].agg(["min", "max"])
    areas = pd.DataFrame({
        "area_code": latest.index,
        "area_name": latest["area_name"].to_numpy(),
        "level": latest["level"].to_numpy(),
        "ons_code": latest["ons_code"].to_numpy(),
        "region_code": latest["region_code"].to_numpy(),
        "region_name": latest["region_name"].to_numpy(),
    })
    areas["first_period"] = areas["area_code"].map(span["min"]).astype("Int64")
    areas["last_period"] = areas["area_code"].map(span["max"]).astype("Int64")
    areas = areas[areas["first_period"].notna()].copy()  # areas with no figure at all (CLA frame's z rows)
    areas["is_joint"] = areas["area_code"].str.contains("/", regex=False)
    areas["joint_members"] = np.where(areas["is_joint"], areas["area_code"].str.replace("/", ",", regex=False), "")
    # Two authorities with one name (Dorset 835 and 838): name the older by its last year.
    la = areas["level"] == "la"
    dup = la & areas.duplicated("area_name", keep=False)
    if dup.any():
        newest = areas[dup].groupby("area_name")["last_period"].transform("max")
        older = dup & (areas["last_period"] < newest.reindex(areas.index))
        areas.loc[older, "area_name"] = (areas.loc[older, "area_name"] + " (to "
                                         + areas.loc[older, "last_period"].astype(str) + ")")
    areas["note"] = [_area_note(c) for c in areas["area_code"]]
    return areas.sort_values(["level", "area_name"]).reset_index(drop=True)[AREA_COLUMNS]


def _area_note(code: str) -> str:
    try:
        from .geography import reorganisation_note
    except ImportError:
        return ""
    return reorganisation_note(code) or ""


def _measure_frame(src: pd.DataFrame, measures: tuple[str, ...]):
    """Sum of the given measures by (area_code, period), with NaN where any is
    missing, and the worst status."""
    parts = []
    for m in measures:
        part = src[src["measure"] == m].set_index(["area_code", "period"])
        parts.append(part)
    if not parts or any(p.empty for p in parts):
        return None
    idx = parts[0].index
    for p in parts[1:]:
        idx = idx.union(p.index)
    total = sum(p["value"].reindex(idx) for p in parts)
    status = parts[0]["status"].reindex(idx).fillna("x")
    for p in parts[1:]:
        s = p["status"].reindex(idx).fillna("x")
        status = status.where(status != "ok", s)
    return total, status


def _layout_notes(by_pub) -> dict[str, dict]:
    """Per publication, what its files held that the loader did not use
    (columns not read, labels not recognised), for the missing-measures report."""
    out: dict[str, dict] = {}
    for pub, items in by_pub.items():
        merged: dict = {"unread_columns": [], "unknown_labels": {}}
        for _, frame in items:
            notes = frame.attrs.get("layout_notes") or {}
            merged["unread_columns"] += [c for c in notes.get("unread_columns", [])
                                         if c not in merged["unread_columns"]]
            for col, labels in (notes.get("unknown_labels") or {}).items():
                merged["unknown_labels"][col] = sorted(set(merged["unknown_labels"].get(col, [])) | set(labels))
        out[pub] = merged
    return out


def _indicators(obs: pd.DataFrame, catalogue: Catalogue, warns, missing: list | None = None,
                areas: pd.DataFrame | None = None, notes: dict | None = None) -> pd.DataFrame:
    missing = [] if missing is None else missing
    by_source = {s: g for s, g in obs.groupby("source", sort=False)}
    meta_cols = ["area_name", "level", "region_code", "region_name"]
    pop = by_source.get("ons_population")
    population = None
    if pop is not None:
        p = pop[pop["measure"] == "population_estimate"].set_index(["area_code", "period"])
        population = p[["value", "status"]]
    out = []
    for ind in catalogue:
        src = by_source.get(ind.source)
        if src is None:
            continue
        lacking = [m for m in rules.needed_measures(ind) if m not in set(src["measure"])]
        if lacking:
            files = ", ".join(sorted(set(src["file"].dropna().astype(str)))) if "file" in src.columns else ind.source
            why = rules.why_missing(ind.source, lacking, (notes or {}).get(ind.source))
            missing.append({"indicator": ind.id, "label": ind.label, "publication": ind.source, "files": files,
                            "measures": lacking, "why": why})
            warns.append(f"Indicator {ind.id} ({ind.label}): {files} ({ind.source}) lacks the column(s) "
                         f"{', '.join(lacking)} it needs: {why}. Its figures are shown as missing from the release.")
            out.append(rules.missing_measure_rows(ind, src, meta_cols))
            continue
        frame = _one_indicator(ind, src, population, meta_cols)
        if frame is None:  # a derived rate without the population it needs
            continue
        frame = rules.flag_implausible(frame, ind, warns)
        out.append(frame)
        if areas is not None:
            out.append(rules.not_in_release_rows(frame, ind, areas))
    if not out:
        return pd.DataFrame(columns=INDICATOR_COLUMNS)
    table = pd.concat(out, ignore_index=True)[INDICATOR_COLUMNS]
    table["period"] = table["period"].astype("int64")
    for col in ("value", "numerator", "denominator"):
        table[col] = table[col].astype("float64")
    return table.sort_values(["indicator", "area_code", "period"]).reset_index(drop=True)


def _one_indicator(ind: Indicator, src: pd.DataFrame, population, meta_cols) -> pd.DataFrame | None:
    first = ind.value or ind.numerator[0]
    base = src[src["measure"] == first].set_index(["area_code", "period"])
    if base.empty:
        return None
    frame = base[meta_cols].copy()
    num = _measure_frame(src, ind.numerator) if ind.numerator else None
    num_v = num[0].reindex(frame.index) if num else pd.Series(np.nan, index=frame.index)
    if ind.derive in ("per_10k_population", "per_child_population"):
        if population is None:
            return None
        prev = pd.MultiIndex.from_arrays([frame.index.get_level_values(0),
                                          frame.index.get_level_values(1) - 1])
        den_v = pd.Series(population["value"].reindex(prev).to_numpy(), index=frame.index)
        scale = 10000.0 if ind.derive == "per_10k_population" else 1.0
        value = num_v / den_v * scale
        status = num[1].reindex(frame.index).fillna("x")
        status = status.where(status != "ok", np.where(den_v.notna() & (den_v > 0), "ok", "not_derivable"))
        source = f"{ind.source}+ons_population"
    else:
        den = _measure_frame(src, ind.denominator) if ind.denominator else None
        den_v = den[0].reindex(frame.index) if den else pd.Series(np.nan, index=frame.index)
        if ind.derive == "ratio":
            if den:
                # a region or England the denominator's publisher does not cover
                # (MHCLG's England total includes police and fire) is left to
                # be computed from councils, not shown as missing
                covered = frame.index.isin(den[0].index) | (frame["level"] == "la").to_numpy()
                frame, num_v, den_v, base = frame[covered], num_v[covered], den_v[covered], base[covered]
            value = num_v / den_v.where(den_v != 0) * (100.0 if ind.unit == "percent" else 1.0)
            status = num[1].reindex(frame.index).fillna("x")
            if den:
                dstat = den[1].reindex(frame.index).fillna("x")
                status = status.where(status != "ok", dstat)
            status = status.where(~((status == "ok") & value.isna()), "z")
        else:
            value = base["value"]
            status = base["status"]
        source = ind.source
    frame["value"] = value.where(status == "ok")
    frame["status"] = status
    frame["numerator"] = num_v
    frame["denominator"] = den_v
    frame["indicator"] = ind.id
    frame["source"] = source
    for col in ("file", "row", "column"):
        if col in base.columns:
            frame[col] = base[col]
    return frame.reset_index()


def _neighbours(by_pub, areas: pd.DataFrame, warns) -> pd.DataFrame:
    """Every neighbour model held, with neighbours retired by a
    reorganisation replaced by their successors as DfE does (Cumbria by
    Cumberland and Westmorland and Furness); ``model_rank`` keeps the model's
    rank and ``via`` the retired code. A council the model does not cover
    (created after it) simply has no rows: it has no neighbours in that model."""
    from .neighbours import map_to_current
    cols = ["model", "area_code", "area_name", "rank", "neighbour_code", "closeness", "model_rank", "via"]
    frames = [fr for pub in ("sn_model_2025", "sn_model_2021") for _, fr in by_pub.get(pub, [])]
    if not frames:
        return pd.DataFrame(columns=cols)
    raw = pd.concat(frames, ignore_index=True).drop_duplicates(["model", "area_code", "rank"])
    la = areas[areas["level"] == "la"] if len(areas) else areas
    if la.empty:
        return raw.assign(model_rank=raw["rank"], via="")[cols]
    mapped, messages = map_to_current(raw, la)
    replaced = sum("replaced by" in m for m in messages)
    if messages:
        warns.append(f"Statistical neighbours: {replaced} retired neighbours replaced by their successors and "
                     f"{len(messages) - replaced} dropped across the models held, e.g. {messages[0]}")
    return mapped[cols]


def _inspections(by_pub, areas: pd.DataFrame) -> pd.DataFrame:
    frames = [fr for _, fr in by_pub.get("ofsted_inspections", [])]
    if not frames:
        return pd.DataFrame(columns=["area_code", "la_name", "inspection_date", "overall_effectiveness"])
    out = pd.concat(frames, ignore_index=True).copy()
    la = areas[areas["level"] == "la"]
    by_ons = dict(zip(la["ons_code"], la["area_code"]))
    if "ons_code" in out.columns:
        out["area_code"] = out["ons_code"].map(by_ons)
    else:
        out["area_code"] = None
    missing = out["area_code"].isna()
    if missing.any():
        from .geography import resolve_council
        for i in out.index[missing]:
            try:
                out.at[i, "area_code"] = resolve_council(str(out.at[i, "la_name"]), areas)
            except ScrutinyError:
                pass
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, str) or pd.isna(v) else str(v))
    return out
