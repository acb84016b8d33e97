"""The comparison engine: one council against its statistical neighbours, its
region and England, for one indicator and period.

Pure functions: statistics only, no plotting and no I/O. The input is any
object with the indicator store's attributes (``indicators``, ``neighbours``,
``areas``, ``catalogue``; see ``docs/store.md``) or a mapping with those keys.

Rules used throughout (each is also stated where it is applied)
--------------------------------------------------------------

Ranks
    Among the council and its comparators, and among all English councils,
    ordered by the indicator's polarity so that 1 is best; ties share the
    better rank ("joint 2nd", pandas ``method="min"``). Context-only
    indicators are ranked by value, highest first (1 = highest). Only
    councils with a published value are ranked. A joint workforce return
    (``314/318``) counts once among all councils.

Quartile bands (as the DfE's LAIT does)
    With ``n`` councils ranked, a council of rank ``r`` is in band
    ``"ABCD"[floor(4 * (r - 1) / n)]``: A is the best quarter (the highest
    quarter for context indicators), and the four bands hold ``n/4`` councils
    each, rounded, when there are no ties; tied councils share a band.

Funnel limits (PHE funnel plot methods)
    Proportions (unit ``percent``): binomial, Wilson score limits around the
    target by default (``"exact"``: Spiegelhalter's interpolated binomial
    quantiles; ``"normal"``: target +/- z * sqrt(p(1-p)/n)). Rates per 10,000
    (``per_10k``): the count is Poisson with the population as exposure;
    exact limits from the chi-squared distribution (Byar) by default.
    Ratios (``ratio``, caseload = cases / case-holding FTE): cases are
    Poisson with FTE as exposure. Spending (``gbp``, and the spending section
    whose numerators are sums of money) and ``days`` get no funnel: money is
    not a count and sickness days cluster in long absences, so a Poisson
    limit would be far too narrow. The target is the all-council pooled rate
    (sum of numerators / sum of denominators over councils with both),
    falling back to England's value. Limits are at 95% (z = 1.96) and 99.8%
    (z = 3.09). Small numbers are flagged: numerator < 10, or for
    proportions a denominator < 30.

Over-dispersion (the funnel of all councils)
    Councils differ in real ways, so their spread is usually far wider than
    chance alone (on the 2025 releases 23% to 93% of councils fall outside
    the 95% chance limits, depending on the measure; 4% to 18% outside the
    adjusted limits). Following Spiegelhalter (2005), each council's z-score
    against the target is winsorised at the 10th and 90th percentiles and
    phi = mean(z^2); when k * phi exceeds the 95th percentile of chi-squared
    on k - 1 degrees of freedom (k councils with counts, at least 10), an
    additive random effect tau^2 = (k phi - (k - 1)) / (sum w - sum w^2 /
    sum w), w = 1 / s^2, is added to the limits: each chance half-width h
    becomes sqrt(h^2 + z^2 tau^2) (s is the binomial or Poisson standard
    error at the target; the exact or Wilson limits keep their asymmetry).
    Without significant over-dispersion tau^2 = 0 and the limits are chance
    limits. NHS England's SHMI uses the same adjustment. Winsorising keeps a
    few outlying councils from widening every limit; the price is that with
    normally spread councils tau^2 comes out at about half the true
    between-council variance, so about 1 council in 8 (not 1 in 20) falls
    outside the 95% limits: the limits lean towards flagging, not hiding.
    ``overdispersion=False`` gives the chance limits throughout. This
    applies to the funnel of all councils only (the ``funnel`` class: is a
    council unusual among councils?); "similar to" below asks whether a
    council's own figure differs from a reference beyond its own chance
    variation, so it keeps the chance limits.

"Similar to"
    A value is "similar to" a reference (the neighbour mean, England, a
    target) when it lies within the 95% funnel limits computed around the
    reference at the council's own denominator, OR the difference is smaller
    than the minimum meaningful change (1 percentage point for percentages,
    5% of the reference otherwise). Without numerators and denominators only
    the minimum meaningful change is used: a difference of at least that much
    is "beyond 95%", and at least three times that much is "beyond 99.8%".

Direction of travel (3 and 5 years)
    Window: the ``years`` periods ending at the period compared. A trend
    needs the end period and at least 3 points (3-year window: all 3; 5-year
    window: at least 4), otherwise "not enough years to judge a trend".
    With numerators and denominators for every point (and a funnel kind):
    the chi-squared test for linear trend (Cochran-Armitage score test;
    for Poisson counts the equivalent score test with exposure), which is
    the weighted least squares slope with binomial/Poisson variance under
    the pooled rate. Without them: the OLS slope t-test on the published
    values. A trend is called "rising" or "falling" only when ALL of
    (1) p < 0.05; (2) for counts, the fitted change over the window is
    beyond the 95% limit for the difference between two single years at the
    window's mean denominator; (3) the fitted change is at least the minimum
    meaningful change (above, with the window's mean level as reference).
    Otherwise "no clear trend".

Change since last year
    Absolute and relative change from the previous period. With counts it
    is tested by a two-sample z-test using the pooled binomial/Poisson
    variance (``significant``); without counts ``significant`` is None.
    ``beyond_chance`` is True only when significant AND at least the minimum
    meaningful change.

RAG
    Context indicators: ``"n/a"``. Otherwise, against neighbours (and,
    separately, against a target when the catalogue or the caller gives one),
    from the comparison level above, in the good direction:
    green = better beyond the 95% limit (and meaningfully);
    amber = similar (within the 95% limits), or worse beyond the 95% limit
    but within the 99.8% limit; red = worse beyond the 99.8% limit (and
    meaningfully). Against a target: green = target met; amber = missed but
    within the 99.8% limit around the target; red = missed beyond it.
    ``rag`` is the target RAG when there is a target, otherwise the
    neighbour RAG; ``"n/a"`` when the council or its comparators have no
    value.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from .indicators import STATUS_WORDS, Indicator, load_catalogue
from .neighbours import DEFAULT_MODEL

__all__ = [
    "Comparison", "Trend", "YearChange", "FunnelResult", "compare_indicator", "compare_council",
    "compare_all", "funnel_limits", "funnel_curve", "classify_funnel", "funnel_kind", "league_table",
    "band_from_rank", "rank_values", "trend_test", "minimum_meaningful_change", "year_on_year",
    "rolling_12_month", "monthly_profile", "STATUS_WORDS", "DEFAULT_MODEL", "Z95", "Z998",
    "Overdispersion", "estimate_overdispersion",
]

Z95 = float(stats.norm.ppf(0.975))     # 1.96
Z998 = float(stats.norm.ppf(0.999))    # 3.09
SCALE = {"percent": 100.0, "per_10k": 10_000.0, "ratio": 1.0, "days": 1.0, "gbp": 1.0}
SMALL_NUMERATOR = 10
SMALL_DENOMINATOR = 30
BANDS = "ABCD"


FUNNEL_CLASSES = ("above_99.8", "above_95", "within", "below_95", "below_99.8")


# --------------------------------------------------------------------------- data classes

@dataclass(frozen=True)
class Trend:
    """Direction of travel over a window of ``years`` periods."""
    years: int
    start_period: int
    end_period: int
    n_points: int
    direction: str               # "rising" | "falling" | "no clear trend" | "not enough years"
    judgement: str | None        # "improving" | "worsening" | None (context, or no trend)
    change: float                # fitted change across the window, indicator units
    first_value: float
    last_value: float
    p_value: float
    method: str                  # "chi-squared test for linear trend (binomial)" | "... (Poisson)" | "OLS slope" | ""
    significant: bool
    beyond_limit: bool | None    # counts only: the change is beyond the 95% limit for two years
    meaningful: bool

    @property
    def is_trend(self) -> bool:
        return self.direction in ("rising", "falling")

    @property
    def enough_years(self) -> bool:
        return self.direction != "not enough years"


@dataclass(frozen=True)
class YearChange:
    period: int
    previous_period: int
    value: float
    previous_value: float
    change: float
    relative_change: float
    z: float
    p_value: float
    significant: bool | None     # None without numerators and denominators
    meaningful: bool
    beyond_chance: bool          # significant (where testable) and meaningful
    direction: str               # "up" | "down" | "no change" | "no comparison"


@dataclass(frozen=True)
class FunnelResult:
    kind: str | None             # "binomial" | "poisson" | None (no funnel)
    method: str | None
    target: float                # in indicator units
    denominator: float
    lower_998: float
    lower_95: float
    upper_95: float
    upper_998: float
    classification: str         # one of FUNNEL_CLASSES, or "no_value" | "no_counts" | "no_funnel"
    small_numbers: bool
    note: str = ""
    phi: float = float("nan")    # winsorised over-dispersion factor among all councils (1 = chance alone)
    tau2: float = 0.0            # between-council variance added to the limits (raw units squared)

    @property
    def overdispersed(self) -> bool:
        """True when the limits allow for the spread between councils."""
        return self.tau2 > 0


@dataclass(frozen=True, eq=False)
class Comparison:
    """Everything a pack says about one council, indicator and period."""
    indicator_id: str
    indicator: Indicator
    period: int
    period_label: str
    area_code: str
    area_name: str
    data_area_code: str | None   # the row used: the council's own, or a joint return ("314/318")
    joint_with: str | None       # "Richmond upon Thames" when a joint return was used
    value: float
    status: str                  # "ok", a DfE code, "not_derivable" or "missing"
    numerator: float
    denominator: float
    england: float
    england_status: str
    region_code: str
    region_name: str
    region_value: float
    comparator: str              # "statistical neighbours" | "region" | "comparator group"
    comparator_codes: tuple[str, ...]
    neighbour_mean: float
    neighbour_median: float
    neighbour_n: int             # comparators with a value
    neighbour_total: int         # comparators in the group
    neighbour_min: float
    neighbour_max: float
    rank: float                  # among the council and its comparators, 1 = best (or highest)
    rank_n: int
    rank_tied: bool
    position: float              # among all English councils, 1 = best (or highest)
    position_n: int
    band: str | None             # "A".."D", A = best (or highest) quarter
    diff_neighbours: float
    rel_diff_neighbours: float
    diff_england: float
    rel_diff_england: float
    vs_neighbours: str | None    # "higher" | "lower" | "similar" | None
    vs_neighbours_level: float   # -2..2, see module docstring
    vs_england: str | None
    vs_england_level: float
    better_than_neighbours: bool | None
    trend_3: Trend
    trend_5: Trend
    change_1y: YearChange | None
    funnel: FunnelResult
    target: float | None
    rag: str                     # "green" | "amber" | "red" | "n/a"
    rag_neighbours: str
    rag_target: str | None
    series: pd.DataFrame = field(repr=False)
    neighbour_values: pd.DataFrame = field(repr=False)
    all_council_values: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def is_context(self) -> bool:
        return self.indicator.is_context

    @property
    def has_value(self) -> bool:
        return self.status == "ok" and not _isnan(self.value)

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, "not available")

    @property
    def trend(self) -> Trend:
        return self.trend_3


# --------------------------------------------------------------------------- small helpers

def _isnan(x) -> bool:
    try:
        return x is None or (isinstance(x, float) and math.isnan(x)) or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _f(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")


def funnel_kind(indicator: Indicator) -> str | None:
    """"binomial", "poisson" or None (no funnel) for a catalogue indicator."""
    if indicator.unit in ("gbp", "days") or indicator.section == "spending":
        return None
    if indicator.unit == "percent":
        return "binomial"
    if indicator.unit in ("per_10k", "ratio"):
        return "poisson"
    return None


def minimum_meaningful_change(unit: str, reference) -> np.ndarray | float:
    """1 percentage point for percentages; 5% of the reference otherwise."""
    ref = np.abs(np.asarray(reference, dtype=float))
    out = np.full_like(ref, 1.0) if unit == "percent" else 0.05 * ref
    return float(out) if out.ndim == 0 else out


def _sign(indicator: Indicator) -> float:
    """Multiplier so that a bigger signed value is better (or higher, for context)."""
    return -1.0 if indicator.polarity == "lower_is_better" else 1.0


def rank_values(values, polarity: str) -> np.ndarray:
    """Competition ranks (1 = best; ties share the better rank); NaN stays NaN.
    ``polarity`` "context" ranks by value, highest first."""
    s = pd.Series(np.asarray(values, dtype=float))
    signed = -s if polarity == "lower_is_better" else s
    return signed.rank(method="min", ascending=False).to_numpy()


def band_from_rank(rank, n) -> np.ndarray | str | None:
    """LAIT-style quartile band from a rank (1 = best) among ``n`` councils."""
    r = np.asarray(rank, dtype=float)
    nn = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        idx = np.floor(4.0 * (r - 1.0) / nn)
    idx = np.clip(idx, 0, 3)
    ok = np.isfinite(idx) & (nn > 0)
    out = np.where(ok, np.array(list(BANDS), dtype=object)[np.where(ok, idx, 0).astype(int)], None)
    return out.item() if out.ndim == 0 else out


def _as_store(obj):
    if isinstance(obj, SimpleNamespace) and getattr(obj, "_compare_view", False):
        return obj
    if isinstance(obj, Mapping):
        get = obj.get
    else:
        def get(key, default=None):
            return getattr(obj, key, default)
    indicators = get("indicators")
    if indicators is None:
        raise TypeError("compare needs an indicator store (or a mapping) with an 'indicators' table")
    neighbours = get("neighbours")
    if neighbours is None:
        neighbours = pd.DataFrame(columns=["model", "area_code", "rank", "neighbour_code", "closeness"])
    areas = get("areas")
    if areas is None:
        areas = pd.DataFrame(columns=["area_code", "area_name", "level", "region_code", "region_name"])
    catalogue = get("catalogue")
    if catalogue is None:
        catalogue = load_catalogue()
    return SimpleNamespace(indicators=indicators, neighbours=neighbours, areas=areas, catalogue=catalogue,
                           _compare_view=True)


def _codes_and_names(st) -> tuple[set, dict]:
    cached = getattr(st, "_codes_names", None)
    if cached is not None:
        return cached
    names: dict[str, str] = {}
    tab = st.indicators
    sub = tab.loc[tab["level"] != "national", ["area_code", "area_name"]].drop_duplicates("area_code", keep="last")
    names.update(zip(sub["area_code"].astype(str).tolist(), sub["area_name"].astype(str).tolist()))
    if len(st.areas):
        names.update(zip(st.areas["area_code"].astype(str).tolist(), st.areas["area_name"].astype(str).tolist()))
    la_codes = set(tab.loc[tab["level"] == "la", "area_code"].astype(str).unique().tolist())
    known = la_codes | (set(st.areas["area_code"].astype(str).tolist()) if len(st.areas) else set())
    for c in list(known):
        if "/" in c:
            known |= {m.strip() for m in c.split("/")}
    try:
        st._codes_names = (known, names)
    except AttributeError:
        pass
    return known, names


def _council_code(st, area_code) -> str:
    code = str(area_code).strip()
    if code.isdigit() and len(code) < 3:
        code = code.zfill(3)
    known, names = _codes_and_names(st)
    if code in known:
        return code
    by_name = {n.lower(): c for c, n in names.items() if c in known and "/" not in c}
    if code.lower() in by_name:
        return by_name[code.lower()]
    close = difflib.get_close_matches(code.lower(), list(by_name), n=3, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ValueError(f"No council has the code or name {area_code!r}.{hint}")


def _area_names(st) -> dict[str, str]:
    return _codes_and_names(st)[1]


def _neighbour_codes(st, code: str, model: str = DEFAULT_MODEL) -> list[str]:
    key = (id(st.neighbours), code, model)
    memo = _NEIGHBOUR_MEMO.get(key)
    if memo is not None and memo[0] is st.neighbours:
        return list(memo[1])
    codes = _neighbour_codes_uncached(st, code, model)
    if len(_NEIGHBOUR_MEMO) > 2000:
        _NEIGHBOUR_MEMO.clear()
    _NEIGHBOUR_MEMO[key] = (st.neighbours, codes)
    return list(codes)


_NEIGHBOUR_MEMO: dict = {}


def _neighbour_codes_uncached(st, code: str, model: str = DEFAULT_MODEL) -> list[str]:
    nb = st.neighbours
    if not len(nb):
        return []
    if "model" in nb.columns:
        models = set(nb["model"].astype(str))
        if model not in models and len(models) == 1:
            model = next(iter(models))
        nb = nb[nb["model"].astype(str) == model]
    nb = nb[nb["area_code"].astype(str) == code]
    if "rank" in nb.columns:
        nb = nb.sort_values("rank")
    return [str(c) for c in nb["neighbour_code"]]


def _resolution_map(codes) -> dict[str, str]:
    """Council code -> the data row to use: its own, else a joint return holding it."""
    codes = [str(c) for c in codes]
    out = {c: c for c in codes if "/" not in c}
    for c in codes:
        if "/" in c:
            for member in c.split("/"):
                out.setdefault(member.strip(), c)
    return out


def _ensure_columns(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("numerator", "denominator"):
        if col not in df.columns:
            df = df.assign(**{col: np.nan})
    if "status" not in df.columns:
        df = df.assign(status=np.where(df["value"].notna(), "ok", "missing"))
    return df


#: Per-indicator rows of a store's table, prepared once per table object: a
#: pack compares one council on every indicator in several notebooks, and
#: re-filtering the whole table each time dominated the cost.
_ROWS_MEMO: dict[tuple[int, str], tuple[pd.DataFrame, pd.DataFrame]] = {}


def _indicator_rows(st, indicator_id: str, cache: dict | None = None) -> pd.DataFrame:
    if cache is not None and indicator_id in cache:
        return cache[indicator_id]
    df = st.indicators
    memo = _ROWS_MEMO.get((id(df), indicator_id))
    if memo is not None and memo[0] is df:
        if cache is not None:
            cache[indicator_id] = memo[1]
        return memo[1]
    if len(_ROWS_MEMO) > 400:
        _ROWS_MEMO.clear()
    groups = _split_by_indicator(df)
    rows = groups.get(indicator_id, df.iloc[0:0])
    rows = _ensure_columns(rows).copy()
    # plain numpy object columns: many small boolean selections follow, and
    # those are several times faster than on Arrow-backed strings
    for col in ("area_code", "area_name", "level", "region_code", "region_name", "status"):
        if col in rows.columns:
            rows[col] = np.asarray(rows[col].astype(str), dtype=object)
    rows = rows.astype({c: object for c in ("area_code", "area_name", "level", "region_code", "region_name",
                                            "status") if c in rows.columns})
    rows["period"] = rows["period"].astype(int)
    for col in ("value", "numerator", "denominator"):
        rows[col] = rows[col].astype(float)
    # status != "ok" means no value, whatever the cell held
    rows.loc[rows["status"] != "ok", "value"] = np.nan
    _ROWS_MEMO[(id(df), indicator_id)] = (df, rows)
    if cache is not None:
        cache[indicator_id] = rows
    return rows


_SPLIT_MEMO: dict[int, tuple[pd.DataFrame, dict]] = {}
_LEAGUE_MEMO: dict = {}


def _split_by_indicator(df: pd.DataFrame) -> dict:
    memo = _SPLIT_MEMO.get(id(df))
    if memo is not None and memo[0] is df:
        return memo[1]
    if len(_SPLIT_MEMO) > 8:
        _SPLIT_MEMO.clear()
    groups = {str(k): g for k, g in df.groupby("indicator", sort=False)}
    _SPLIT_MEMO[id(df)] = (df, groups)
    return groups


def _latest_period(rows: pd.DataFrame) -> int | None:
    ok = rows[rows["value"].notna()]
    la = ok[ok["level"] == "la"]
    if len(la):
        return int(la["period"].max())
    if len(ok):
        return int(ok["period"].max())
    return None


# --------------------------------------------------------------------------- funnel limits

def _wilson(p0, n, z):
    n = np.asarray(n, dtype=float)
    denom = 2.0 * (n + z * z)
    centre = (2.0 * n * p0 + z * z) / denom
    half = z * np.sqrt(z * z + 4.0 * n * p0 * (1.0 - p0)) / denom
    return centre - half, centre + half


def _binom_exact(p0, n, prob):
    """Spiegelhalter (2005) interpolated binomial quantile, as a proportion."""
    n = np.maximum(np.rint(np.asarray(n, dtype=float)), 1.0)
    r = stats.binom.ppf(prob, n, p0)
    f_r = stats.binom.cdf(r, n, p0)
    f_r1 = stats.binom.cdf(r - 1, n, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r - f_r1 > 0, (f_r - prob) / (f_r - f_r1), 0.0)
    return np.clip((r - alpha) / n, 0.0, 1.0)


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's (2005) over-dispersion estimate for one funnel."""
    phi: float        # mean squared winsorised z-score; 1 when chance alone explains the spread
    tau2: float       # between-council variance in raw units squared; 0 when not significant
    k: int            # councils with usable counts
    p_value: float    # chi-squared test of k * phi on k - 1 degrees of freedom

    @property
    def adjusted(self) -> bool:
        return self.tau2 > 0


NO_OVERDISPERSION = Overdispersion(float("nan"), 0.0, 0, float("nan"))
WINSOR = 0.10
MIN_COUNCILS_FOR_OVERDISPERSION = 10


def _standard_error(kind: str, target_raw: float, den) -> np.ndarray:
    den = np.asarray(den, dtype=float)
    if kind == "binomial":
        return np.sqrt(target_raw * (1.0 - target_raw) / den)
    return np.sqrt(target_raw / den)


def estimate_overdispersion(kind: str | None, target_raw: float, num, den, value=None, *,
                            winsor: float = WINSOR, alpha: float = 0.05) -> Overdispersion:
    """Over-dispersion of the councils' rates ``num / den`` around
    ``target_raw`` (a proportion, or a rate per unit of exposure): see
    "Over-dispersion" in the module docstring. Rows without usable counts,
    or without a published ``value`` when values are given, are left out."""
    if kind is None or not np.isfinite(target_raw) or target_raw <= 0 or \
            (kind == "binomial" and target_raw >= 1):
        return NO_OVERDISPERSION
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = _usable_counts(kind, num, den)
    if value is not None:
        ok &= np.isfinite(np.asarray(value, dtype=float))
    k = int(ok.sum())
    if k < MIN_COUNCILS_FOR_OVERDISPERSION:
        return Overdispersion(float("nan"), 0.0, k, float("nan"))
    se = _standard_error(kind, target_raw, den[ok])
    z = (num[ok] / den[ok] - target_raw) / se
    low, high = np.quantile(z, [winsor, 1.0 - winsor])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    p_value = float(stats.chi2.sf(k * phi, k - 1))
    tau2 = 0.0
    if p_value < alpha:
        w = 1.0 / se ** 2
        tau2 = max(0.0, float((k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum())))
    return Overdispersion(phi, tau2, k, p_value)


def _limits_raw(kind: str, target_raw, den, method: str | None, tau2: float = 0.0):
    """Lower/upper limits at 95% and 99.8% in raw units (a proportion, or a
    rate per unit of exposure) for denominators ``den`` around ``target_raw``,
    widened by a between-council variance ``tau2`` (raw units squared)."""
    den = np.asarray(den, dtype=float)
    t = np.asarray(target_raw, dtype=float)
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, z, tail in (("95", Z95, 0.025), ("99.8", Z998, 0.001)):
            if kind == "binomial":
                p0 = np.clip(t, 0.0, 1.0)
                m = method or "wilson"
                if m == "wilson":
                    lo, hi = _wilson(p0, den, z)
                elif m == "normal":
                    se = np.sqrt(p0 * (1 - p0) / den)
                    lo, hi = np.clip(p0 - z * se, 0, 1), np.clip(p0 + z * se, 0, 1)
                elif m == "exact":
                    lo, hi = _binom_exact(p0, den, tail), _binom_exact(p0, den, 1 - tail)
                else:
                    raise ValueError(f"Unknown funnel method {method!r} for proportions: use wilson, exact or normal")
            elif kind == "poisson":
                mu = t * den
                m = method or "exact"
                if m == "exact":
                    lo = np.where(mu > 0, stats.chi2.ppf(tail, 2.0 * np.where(mu > 0, mu, 1.0)) / 2.0, 0.0)
                    hi = stats.chi2.ppf(1 - tail, 2.0 * (mu + 1.0)) / 2.0
                elif m == "normal":
                    lo, hi = np.maximum(mu - z * np.sqrt(mu), 0.0), mu + z * np.sqrt(mu)
                else:
                    raise ValueError(f"Unknown funnel method {method!r} for counts: use exact or normal")
                lo, hi = lo / den, hi / den
            else:
                raise ValueError(f"No funnel for kind {kind!r}")
            if tau2 > 0:
                spread = z * z * tau2
                lo = t - np.sqrt((t - lo) ** 2 + spread)
                hi = t + np.sqrt((hi - t) ** 2 + spread)
                lo = np.maximum(lo, 0.0)
                if kind == "binomial":
                    hi = np.minimum(hi, 1.0)
            out[name] = (lo, hi)
    return out


def funnel_limits(denominators, target: float, unit: str = "percent", *, method: str | None = None,
                  kind: str | None = None, tau2: float = 0.0) -> pd.DataFrame:
    """Funnel-plot control limits over ``denominators`` around ``target``.

    ``target`` and the limits are in the indicator's units (12.5 for 12.5%,
    350 for 350 per 10,000). ``unit`` picks the model: ``percent`` binomial,
    ``per_10k`` and ``ratio`` Poisson on the count with the denominator as
    exposure; pass ``kind`` to override. ``tau2`` (raw units squared, as
    :func:`estimate_overdispersion` gives it) widens the limits for the
    spread between councils; 0 gives chance limits. Columns: denominator,
    target, lower_998, lower_95, upper_95, upper_998. Raises ValueError for
    ``gbp`` (spend per child is not a count: no funnel)."""
    scale = SCALE.get(unit, 1.0)
    if kind is None:
        kind = {"percent": "binomial", "per_10k": "poisson", "ratio": "poisson"}.get(unit)
    if kind is None:
        raise ValueError(f"No funnel limits for unit {unit!r}: spend per child and days are not counts")
    den = np.atleast_1d(np.asarray(denominators, dtype=float))
    lim = _limits_raw(kind, target / scale, den, method, tau2)
    return pd.DataFrame({
        "denominator": den, "target": float(target),
        "lower_998": lim["99.8"][0] * scale, "lower_95": lim["95"][0] * scale,
        "upper_95": lim["95"][1] * scale, "upper_998": lim["99.8"][1] * scale,
    })


def _pooled_target(frame: pd.DataFrame, kind: str | None, scale: float, fallback: float) -> float:
    if kind is None:
        return fallback
    ok = frame[frame["numerator"].notna() & frame["denominator"].notna() & (frame["denominator"] > 0)
               & frame["value"].notna()]
    if not len(ok) or ok["denominator"].sum() <= 0:
        return fallback
    return float(ok["numerator"].sum() / ok["denominator"].sum() * scale)


def _classify(value, lims_scaled) -> np.ndarray:
    v = np.asarray(value, dtype=float)
    lo95, hi95 = lims_scaled["95"]
    lo998, hi998 = lims_scaled["99.8"]
    return np.select([v > hi998, v > hi95, v < lo998, v < lo95],
                     ["above_99.8", "above_95", "below_99.8", "below_95"], "within").astype(object)


def _usable_counts(kind, num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    ok = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0)
    if kind == "binomial":
        ok &= num <= den * (1 + 1e-9)
    return ok


def _small(kind, num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    small = num < SMALL_NUMERATOR
    if kind == "binomial":
        small |= den < SMALL_DENOMINATOR
    return small & np.isfinite(num)


def classify_funnel(frame: pd.DataFrame, indicator: Indicator, target: float | None = None, *,
                    method: str | None = None, overdispersion: bool = True) -> pd.DataFrame:
    """Per-council funnel classification.

    ``frame`` has value, numerator, denominator (and any other columns, kept),
    one row per council. ``target`` defaults to the pooled rate of the rows
    given. With ``overdispersion`` (the default) the limits allow for the
    spread between the councils in ``frame`` when it is significantly wider
    than chance. Adds columns funnel_target, lower_998, lower_95, upper_95,
    upper_998, funnel ("within", "above_95", "above_99.8", "below_95",
    "below_99.8", "no_value", "no_counts" or "no_funnel"), small_numbers,
    funnel_phi and funnel_tau2 (see :func:`estimate_overdispersion`)."""
    out = _ensure_columns(frame).copy()
    kind = funnel_kind(indicator)
    scale = SCALE[indicator.unit]
    value = out["value"].astype(float).to_numpy()
    num = out["numerator"].astype(float).to_numpy()
    den = out["denominator"].astype(float).to_numpy()
    if kind is None:
        for col in ("funnel_target", "lower_998", "lower_95", "upper_95", "upper_998"):
            out[col] = np.nan
        out["funnel"] = np.where(np.isfinite(value), "no_funnel", "no_value")
        out["small_numbers"] = False
        out["funnel_phi"], out["funnel_tau2"] = np.nan, 0.0
        return out
    if target is None:
        target = _pooled_target(out, kind, scale, float(np.nanmean(value)) if np.isfinite(value).any() else np.nan)
    usable = _usable_counts(kind, num, den)
    od = estimate_overdispersion(kind, target / scale, num, den, value) if overdispersion else NO_OVERDISPERSION
    lim = _limits_raw(kind, target / scale, np.where(usable, den, 1.0), method, od.tau2)
    scaled = {k: (lo * scale, hi * scale) for k, (lo, hi) in lim.items()}
    out["funnel_target"] = target
    out["lower_998"] = np.where(usable, scaled["99.8"][0], np.nan)
    out["lower_95"] = np.where(usable, scaled["95"][0], np.nan)
    out["upper_95"] = np.where(usable, scaled["95"][1], np.nan)
    out["upper_998"] = np.where(usable, scaled["99.8"][1], np.nan)
    cls = _classify(value, scaled)
    cls = np.where(usable, cls, "no_counts")
    cls = np.where(np.isfinite(value), cls, "no_value")
    out["funnel"] = cls
    out["small_numbers"] = _small(kind, num, den) & usable
    out["funnel_phi"], out["funnel_tau2"] = od.phi, od.tau2
    return out


def funnel_curve(frame: pd.DataFrame, indicator: Indicator, target: float | None = None, *,
                 points: int = 200, method: str | None = None, overdispersion: bool = True,
                 tau2: float | None = None) -> pd.DataFrame:
    """Limit curves for plotting: ``points`` denominators spaced evenly on a log
    scale from the smallest to the largest denominator in ``frame`` (with
    some margin), around ``target`` (default: the pooled rate of ``frame``).
    The limits allow for over-dispersion as :func:`classify_funnel` does
    (estimated from ``frame``, or ``tau2`` when given, e.g. a comparison's
    ``funnel.tau2``); ``overdispersion=False`` draws chance limits."""
    kind = funnel_kind(indicator)
    if kind is None:
        raise ValueError(f"{indicator.id}: {indicator.unit} figures are not counts, so there is no funnel")
    frame = _ensure_columns(frame)
    scale = SCALE[indicator.unit]
    if target is None:
        target = _pooled_target(frame, kind, scale, float(frame["value"].mean()))
    den = frame["denominator"][_usable_counts(kind, frame["numerator"], frame["denominator"])]
    if not len(den):
        raise ValueError(f"{indicator.id}: no denominators to draw a funnel")
    lo, hi = max(float(den.min()) * 0.8, 1.0), float(den.max()) * 1.2
    grid = np.geomspace(lo, hi, points)
    if not overdispersion:
        tau2 = 0.0
    elif tau2 is None:
        tau2 = estimate_overdispersion(kind, target / scale, frame["numerator"], frame["denominator"],
                                       frame["value"]).tau2
    return funnel_limits(grid, target, indicator.unit, method=method, kind=kind, tau2=tau2)


def _difference_level(value, ref, num, den, kind, unit, method=None) -> np.ndarray:
    """-2..2: how far ``value`` is above (+) or below (-) ``ref``: 2 beyond the
    99.8% limit, 1 beyond 95%, 0 similar; NaN when either is missing.
    See "Similar to" in the module docstring."""
    value = np.atleast_1d(np.asarray(value, dtype=float))
    ref = np.broadcast_to(np.asarray(ref, dtype=float), value.shape).astype(float)
    num = np.broadcast_to(np.asarray(num, dtype=float), value.shape)
    den = np.broadcast_to(np.asarray(den, dtype=float), value.shape)
    scale = SCALE.get(unit, 1.0)
    diff = value - ref
    mmc = minimum_meaningful_change(unit, ref)
    mmc = np.broadcast_to(mmc, value.shape)
    sign = np.sign(diff)
    # without counts: the minimum meaningful change alone
    level = np.where(np.abs(diff) >= 3 * mmc, 2.0, np.where(np.abs(diff) >= mmc, 1.0, 0.0)) * sign
    if kind is not None:
        usable = _usable_counts(kind, num, den) & np.isfinite(ref) & (ref >= 0)
        if kind == "binomial":
            usable &= ref <= scale
        if usable.any():
            safe_ref = np.where(usable, ref, 0.5 * scale if kind == "binomial" else 1.0)
            lim = _limits_raw(kind, safe_ref / scale, np.where(usable, den, 1.0), method)
            lo95, hi95 = lim["95"][0] * scale, lim["95"][1] * scale
            lo998, hi998 = lim["99.8"][0] * scale, lim["99.8"][1] * scale
            stat_level = np.select([value > hi998, value > hi95, value < lo998, value < lo95],
                                   [2.0, 1.0, -2.0, -1.0], 0.0)
            stat_level = np.where(np.abs(diff) < mmc, 0.0, stat_level)
            level = np.where(usable, stat_level, level)
    level = np.where(np.isfinite(value) & np.isfinite(ref), level, np.nan)
    return level


def _level_word(level) -> str | None:
    if _isnan(level):
        return None
    return "higher" if level > 0 else "lower" if level < 0 else "similar"


def _rag_from_level(level, polarity: str) -> np.ndarray:
    level = np.atleast_1d(np.asarray(level, dtype=float))
    if polarity == "context":
        return np.full(level.shape, "n/a", dtype=object)
    good = level if polarity == "higher_is_better" else -level
    out = np.select([good >= 1, good <= -2], ["green", "red"], "amber").astype(object)
    return np.where(np.isfinite(level), out, "n/a")


def _rag_target(value, target, level, polarity: str) -> np.ndarray:
    value = np.atleast_1d(np.asarray(value, dtype=float))
    level = np.broadcast_to(np.asarray(level, dtype=float), value.shape)
    if polarity == "context" or target is None or _isnan(target):
        return np.full(value.shape, None, dtype=object)
    met = value >= target if polarity == "higher_is_better" else value <= target
    good = level if polarity == "higher_is_better" else -level
    out = np.where(met, "green", np.where(good <= -2, "red", "amber")).astype(object)
    return np.where(np.isfinite(value), out, "n/a")


# --------------------------------------------------------------------------- trends

_TREND_METHODS = {"binomial": "chi-squared test for linear trend (binomial)",
                  "poisson": "score test for linear trend (Poisson)"}


def _trend_core(periods, end, Y, R, E, years: int, kind: str | None, unit: str, polarity: str) -> dict:
    """Vectorised direction of travel for G series at once.

    ``periods`` (W,) are the columns of ``Y`` (values), ``R`` (numerators)
    and ``E`` (denominators), each (G, W) with NaN where missing; ``end`` is
    the period the window ends at. Returns a dict of (G,) arrays. The rule is
    in the module docstring ("Direction of travel")."""
    scale = SCALE.get(unit, 1.0)
    min_points = 3 if years <= 3 else years - 1
    periods = np.asarray(periods, dtype=float)
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    R = np.atleast_2d(np.asarray(R, dtype=float))
    E = np.atleast_2d(np.asarray(E, dtype=float))
    G, W = Y.shape
    x = periods - float(end)
    inwin = (x <= 0) & (x > -years)
    valid = np.isfinite(Y) & inwin[None, :]
    n = valid.sum(axis=1).astype(float)
    X = np.where(valid, x[None, :], 0.0)
    Yv = np.where(valid, Y, 0.0)
    if kind is not None:
        usable = valid & _usable_counts(kind, R, E)
    else:
        usable = np.zeros_like(valid)
    use_counts = (kind is not None) & (usable.sum(axis=1) == n) & (n > 0)
    R0 = np.where(usable, R, 0.0)
    E0 = np.where(usable, E, 0.0)
    has_end = (valid & (x == 0)[None, :]).any(axis=1)
    first_idx = np.argmax(valid, axis=1)
    last_idx = W - 1 - np.argmax(valid[:, ::-1], axis=1)
    rows = np.arange(G)
    any_valid = n > 0
    first_value = np.where(any_valid, Y[rows, first_idx], np.nan) if W else np.full(G, np.nan)
    last_value = np.where(any_valid, Y[rows, last_idx], np.nan) if W else np.full(G, np.nan)
    xmin = np.where(any_valid, x[first_idx], np.nan) if W else np.full(G, np.nan)
    xmax = np.where(any_valid, x[last_idx], np.nan) if W else np.full(G, np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        Sx, Sxx, Sy = X.sum(1), (X * X).sum(1), Yv.sum(1)
        Syy, Sxy = (Yv * Yv).sum(1), (X * Yv).sum(1)
        # OLS slope t-test on the published values
        sxx = Sxx - Sx ** 2 / n
        sxy = Sxy - Sx * Sy / n
        syy = Syy - Sy ** 2 / n
        b_ols = sxy / sxx
        ssr = np.maximum(syy - b_ols * sxy, 0.0)
        df_res = n - 2
        se = np.sqrt(ssr / df_res / sxx)
        t = np.where(se > 0, b_ols / se, np.where(b_ols != 0, np.inf, 0.0))
        p_ols = 2 * stats.t.sf(np.abs(t), np.maximum(df_res, 1))
        # score (chi-squared) test for linear trend on counts, pooled rate under the null
        sE, sR = E0.sum(1), R0.sum(1)
        sEx, sExx, sRx = (E0 * X).sum(1), (E0 * X * X).sum(1), (R0 * X).sum(1)
        rate = sR / sE
        var_unit = rate * (1 - rate) if kind == "binomial" else rate
        sxx_w = sExx - sEx ** 2 / sE
        T = sRx - rate * sEx
        var_T = var_unit * sxx_w
        z = np.where(var_T > 0, T / np.sqrt(var_T), 0.0)
        p_cnt = 2 * stats.norm.sf(np.abs(z))
        span = xmax - xmin
        change_cnt = T / sxx_w * span * scale
        limit2 = Z95 * np.sqrt(var_unit * 2.0 / (sE / n)) * scale
        change = np.where(use_counts, change_cnt, b_ols * span)
        p_value = np.where(use_counts, p_cnt, p_ols)
        mmc = minimum_meaningful_change(unit, Sy / n)
        significant = np.nan_to_num(p_value, nan=1.0) < 0.05
        beyond = np.where(use_counts, np.abs(change) > limit2, True)
        meaningful = np.abs(np.nan_to_num(change)) >= mmc
    enough = (n >= min_points) & has_end
    is_trend = enough & significant & beyond & meaningful
    direction = np.where(~enough, "not enough years",
                         np.where(is_trend, np.where(change > 0, "rising", "falling"), "no clear trend")).astype(object)
    if polarity == "context":
        judgement = np.full(G, None, dtype=object)
    else:
        up_good = polarity == "higher_is_better"
        judgement = np.where(is_trend, np.where((change > 0) == up_good, "improving", "worsening"), None)
    method = np.where(~enough, "", np.where(use_counts, _TREND_METHODS.get(kind or "", ""), "OLS slope"))
    return {"years": years, "n_points": n.astype(int), "direction": direction, "judgement": judgement,
            "change": np.where(enough, change, np.nan), "first_value": first_value, "last_value": last_value,
            "p_value": np.where(enough, p_value, np.nan), "method": method, "significant": enough & significant,
            "beyond_limit": np.where(use_counts & enough, beyond, None), "meaningful": enough & meaningful}


def _trend_from_core(res: dict, i: int, years: int, end_period: int) -> Trend:
    bl = res["beyond_limit"][i]
    jd = res["judgement"][i]
    return Trend(years=years, start_period=int(end_period - years + 1), end_period=int(end_period),
                 n_points=int(res["n_points"][i]), direction=str(res["direction"][i]),
                 judgement=None if jd is None else str(jd), change=_f(res["change"][i]),
                 first_value=_f(res["first_value"][i]), last_value=_f(res["last_value"][i]),
                 p_value=_f(res["p_value"][i]), method=str(res["method"][i]),
                 significant=bool(res["significant"][i]), beyond_limit=None if bl is None else bool(bl),
                 meaningful=bool(res["meaningful"][i]))


def trend_test(series: pd.DataFrame, indicator: Indicator, years: int = 3, end_period: int | None = None) -> Trend:
    """Direction of travel for one council's series (columns period, value and
    optionally numerator, denominator) over the ``years`` periods ending at
    ``end_period`` (default: the last period with a value). Rule: module docstring."""
    s = _ensure_columns(series.copy()).sort_values("period")
    s["value"] = s["value"].astype(float)
    if end_period is None:
        ok = s[s["value"].notna()]
        end_period = int(ok["period"].max()) if len(ok) else int(s["period"].max())
    res = _trend_core(s["period"].to_numpy(), int(end_period), s["value"].to_numpy()[None, :],
                      s["numerator"].to_numpy(dtype=float)[None, :], s["denominator"].to_numpy(dtype=float)[None, :],
                      years, funnel_kind(indicator), indicator.unit, indicator.polarity)
    return _trend_from_core(res, 0, years, int(end_period))


# --------------------------------------------------------------------------- league table (all councils)

def league_table(rows: pd.DataFrame, indicator: Indicator, *, method: str | None = None,
                 overdispersion: bool = True) -> pd.DataFrame:
    """All councils for one period: the LA rows (joint returns once), with
    position (1 = best, or highest for context), position_n, band and the
    funnel classification around the all-council pooled rate."""
    la = _ensure_columns(rows[rows["level"] == "la"] if "level" in rows.columns else rows).copy()
    la = la.drop_duplicates("area_code")
    la["value"] = la["value"].astype(float)
    la.loc[la["status"] != "ok", "value"] = np.nan
    la["position"] = rank_values(la["value"], indicator.polarity)
    n = int(la["value"].notna().sum())
    la["position_n"] = n
    la["band"] = band_from_rank(la["position"].to_numpy(), n)
    return classify_funnel(la, indicator, method=method, overdispersion=overdispersion)


# --------------------------------------------------------------------------- compare_indicator

def _row_dict(row) -> dict:
    if row is None:
        return {"value": np.nan, "status": "missing", "numerator": np.nan, "denominator": np.nan}
    return {"value": _f(row["value"]), "status": str(row["status"]), "numerator": _f(row["numerator"]),
            "denominator": _f(row["denominator"])}


def _comparator_members(st, code: str, comparator, model: str, region_code: str, la_rows: pd.DataFrame):
    if comparator is None or (isinstance(comparator, str) and comparator in (model, "neighbours",
                                                                             "statistical neighbours")):
        return "statistical neighbours", _neighbour_codes(st, code, model)
    if isinstance(comparator, str) and comparator == "region":
        members: set[str] = set()
        if len(st.areas) and "region_code" in st.areas.columns:
            a = st.areas
            lvl = a["level"] if "level" in a.columns else pd.Series("la", index=a.index)
            members |= set(a.loc[(a["region_code"].astype(str) == region_code) & (lvl == "la"), "area_code"].astype(str))
        members |= set(la_rows.loc[la_rows["region_code"].astype(str) == region_code, "area_code"])
        expanded = set()
        for m in members:
            expanded |= set(m.split("/")) if "/" in m else {m}
        expanded.discard(code)
        return "region", sorted(expanded)
    if isinstance(comparator, str):
        codes = _neighbour_codes(st, code, comparator)
        if codes:
            return "statistical neighbours", codes
        raise ValueError(f"Unknown comparator {comparator!r}: use None (statistical neighbours), 'region' "
                         f"or a list of area codes")
    codes = [str(c).strip() for c in comparator if str(c).strip() != code]
    return "comparator group", codes


def _by_period(la_rows: pd.DataFrame) -> dict[int, dict[str, dict]]:
    """{period: {area_code: {value, status, numerator, denominator}}} (first row wins)."""
    out: dict[int, dict[str, dict]] = {}
    cols = [la_rows[c].to_numpy() for c in ("period", "area_code", "value", "status", "numerator", "denominator")]
    for p, c, v, stt, n, d in zip(*cols):
        out.setdefault(int(p), {}).setdefault(str(c), {"value": float(v), "status": str(stt),
                                                       "numerator": float(n), "denominator": float(d)})
    return out


_MISSING = {"value": np.nan, "status": "missing", "numerator": np.nan, "denominator": np.nan}


def _resolve_group(period_rows: dict[str, dict], subject: str, members: list[str], names: dict) -> list[dict]:
    """Group for one period: the subject then each member, resolved to its own
    row or a joint return; a joint row counts once and never as a neighbour
    of one of its own members."""
    res = _resolution_map(period_rows.keys())
    recs = []
    seen = set()
    for i, c in enumerate([subject] + list(members)):
        data_code = res.get(c)
        if data_code is not None and data_code in seen:
            continue
        if data_code is not None:
            seen.add(data_code)
        d = period_rows[data_code] if data_code is not None else _MISSING
        recs.append({"area_code": c, "data_area_code": data_code,
                     "area_name": names.get(data_code, names.get(c, c)) if data_code else names.get(c, c),
                     "value": d["value"], "status": d["status"], "numerator": d["numerator"],
                     "denominator": d["denominator"], "is_subject": i == 0, "neighbour_rank": i})
    return recs


def _stat(values: pd.Series, how: str) -> float:
    v = values.dropna()
    if not len(v):
        return float("nan")
    return float(getattr(v, how)())


def compare_indicator(store_or_frames, area_code, indicator_id: str, period: int | None = None,
                      comparator=None, *, target: float | None = None, funnel_method: str | None = None,
                      overdispersion: bool = True, model: str = DEFAULT_MODEL,
                      _cache: dict | None = None) -> Comparison:
    """Compare one council with its comparators, region and England.

    ``period=None`` uses the latest period with data for the indicator.
    ``comparator`` is None (DfE statistical neighbours, ``model``), "region"
    (the other councils of its region) or a list of area codes. ``target``
    overrides the catalogue's target for the RAG. ``overdispersion=False``
    gives the funnel of all councils chance limits only. The statistical
    rules are in the module docstring."""
    st = _as_store(store_or_frames)
    ind = st.catalogue[indicator_id]
    code = _council_code(st, area_code)
    rows = _indicator_rows(st, indicator_id, _cache)
    if not len(rows):
        raise ValueError(f"The store has no figures for {indicator_id} ({ind.label})")
    if period is None:
        period = _latest_period(rows)
        if period is None:
            period = int(rows["period"].max())
    period = int(period)
    kind = funnel_kind(ind)
    names = _area_names(st)
    la_rows = rows[rows["level"] == "la"]
    la_p = la_rows[la_rows["period"] == period]
    nat = rows[rows["level"] == "national"]
    reg = rows[rows["level"] == "regional"]
    notes: list[str] = []

    # the subject's region
    region_code = region_name = ""
    own_any = la_rows[la_rows["area_code"] == code]
    if len(st.areas) and code in set(st.areas["area_code"].astype(str)):
        a = st.areas[st.areas["area_code"].astype(str) == code].iloc[0]
        region_code, region_name = str(a.get("region_code", "") or ""), str(a.get("region_name", "") or "")
    if (not region_code or region_code == "nan") and len(own_any):
        last = own_any.sort_values("period").iloc[-1]
        region_code, region_name = str(last["region_code"]), str(last["region_name"])
    if region_code == "nan":
        region_code = ""
    if region_name == "nan":
        region_name = ""

    comp_label, members = _comparator_members(st, code, comparator, model, region_code, la_rows)
    by_period = _by_period(la_rows)
    group = pd.DataFrame(_resolve_group(by_period.get(period, {}), code, members, names))
    subj = group.iloc[0]
    data_code = subj["data_area_code"]
    joint_with = None
    if data_code and "/" in data_code:
        others = [names.get(m, m) for m in data_code.split("/") if m != code]
        joint_with = " and ".join(others)
        notes.append(f"{names.get(code, code)} and {joint_with} make one joint workforce return ({data_code}).")
    area_name = names.get(code, code)

    # league table of all councils, funnel around the pooled rate (the same
    # for every council: prepared once per indicator, period and method)
    league_key = (id(rows), ind.id, period, funnel_method, overdispersion)
    memo = _LEAGUE_MEMO.get(league_key)
    if memo is None or memo[0] is not rows:
        if len(_LEAGUE_MEMO) > 500:
            _LEAGUE_MEMO.clear()
        memo = (rows, league_table(la_p, ind, method=funnel_method, overdispersion=overdispersion))
        _LEAGUE_MEMO[league_key] = memo
    league = memo[1].copy()
    league["is_subject"] = league["area_code"] == data_code
    all_values = league[["area_code", "area_name", "value", "status", "numerator", "denominator", "position",
                         "position_n", "band", "funnel", "small_numbers", "is_subject"]].reset_index(drop=True)
    lrow = league[league["area_code"] == data_code]
    position = _f(lrow["position"].iloc[0]) if len(lrow) else float("nan")
    position_n = int(league["position_n"].iloc[0]) if len(league) else 0
    band = None
    if len(lrow) and lrow["band"].iloc[0] is not None and not _isnan(position):
        band = str(lrow["band"].iloc[0])

    # neighbours
    nbrs = group[~group["is_subject"]]
    nb_ok = nbrs["value"].dropna()
    group = group.copy()
    group["rank"] = rank_values(group["value"], ind.polarity)
    rank = _f(group["rank"].iloc[0])
    rank_n = int(group["value"].notna().sum())
    rank_tied = bool(not _isnan(rank) and (group["rank"] == rank).sum() > 1)

    eng_row = nat[nat["period"] == period]
    eng = _row_dict(eng_row.iloc[0] if len(eng_row) else None)
    rcode = region_code
    reg_p = reg[reg["period"] == period]
    if rcode and rcode not in set(reg_p["area_code"]) and rcode.startswith("E13"):
        rcode = "E12000007"
    reg_row = reg_p[reg_p["area_code"] == rcode]
    region_value = _f(reg_row["value"].iloc[0]) if len(reg_row) else float("nan")

    value, status = _f(subj["value"]), str(subj["status"])
    num, den = _f(subj["numerator"]), _f(subj["denominator"])
    nb_mean = float(nb_ok.mean()) if len(nb_ok) else float("nan")
    england = eng["value"]
    with np.errstate(invalid="ignore", divide="ignore"):
        diff_nb = value - nb_mean
        diff_en = value - england
        rel_nb = diff_nb / nb_mean if nb_mean else float("nan")
        rel_en = diff_en / england if england else float("nan")
    lvl_nb = float(_difference_level(value, nb_mean, num, den, kind, ind.unit, funnel_method)[0])
    lvl_en = float(_difference_level(value, england, num, den, kind, ind.unit, funnel_method)[0])
    better = None
    if not ind.is_context and not _isnan(lvl_nb):
        better = bool(lvl_nb > 0) if ind.higher_is_better else bool(lvl_nb < 0)
        if lvl_nb == 0:
            better = None

    # funnel (all councils)
    if kind is None:
        funnel = FunnelResult(None, None, float("nan"), den, *(float("nan"),) * 4,
                              classification="no_funnel" if not _isnan(value) else "no_value", small_numbers=False,
                              note=f"No funnel: {'spending figures are sums of money' if ind.unit == 'gbp' or ind.section == 'spending' else 'days lost cluster in long absences'}, not counts of independent events.")
    else:
        srow = league[league["area_code"] == data_code]
        ftarget = _f(league["funnel_target"].iloc[0]) if len(league) else float("nan")
        phi = _f(league["funnel_phi"].iloc[0]) if len(league) else float("nan")
        tau2 = _f(league["funnel_tau2"].iloc[0]) if len(league) else 0.0
        if len(srow):
            s = srow.iloc[0]
            funnel = FunnelResult(kind, funnel_method or ("wilson" if kind == "binomial" else "exact"), ftarget,
                                  den, _f(s["lower_998"]), _f(s["lower_95"]), _f(s["upper_95"]), _f(s["upper_998"]),
                                  str(s["funnel"]), bool(s["small_numbers"]),
                                  "Small numbers: treat with caution." if bool(s["small_numbers"]) else "",
                                  phi, tau2)
        else:
            funnel = FunnelResult(kind, funnel_method, ftarget, den, *(float("nan"),) * 4, "no_value", False,
                                  phi=phi, tau2=tau2)

    # RAG
    tgt = target if target is not None else ind.target
    rag_nb = str(_rag_from_level(lvl_nb, ind.polarity)[0])
    if ind.is_context:
        rag_t = None
    elif tgt is not None:
        lvl_t = _difference_level(value, tgt, num, den, kind, ind.unit, funnel_method)
        rag_t = _rag_target(value, tgt, lvl_t, ind.polarity)[0]
    else:
        rag_t = None
    rag = "n/a" if ind.is_context else (rag_t if rag_t is not None else rag_nb)

    # series and trends
    series, council_series = _series(rows, by_period, code, members, rcode, names)
    tr3 = _trend_for(council_series, ind, period, 3)
    tr5 = _trend_for(council_series, ind, period, 5)
    if tr3.direction == "not enough years" and len(council_series[council_series["value"].notna()]):
        first = int(council_series.loc[council_series["value"].notna(), "period"].min())
        if first > period - 2:
            notes.append(f"{area_name}'s series starts in {ind.period_label(first)}.")
    cur = {"period": period, **_row_dict(subj)}
    prev_rows = council_series[council_series["period"] == period - 1]
    prev = {"period": period - 1, **_row_dict(prev_rows.iloc[0])} if len(prev_rows) else None
    change_1y = _year_change(cur, prev, kind, ind.unit, period)
    if ind.caveat:
        notes.append(ind.caveat)

    nb_values = group.rename(columns={"area_code": "council_code"})
    nb_values = nb_values.assign(area_code=nb_values["data_area_code"].fillna(nb_values["council_code"]))
    nb_values = nb_values[["area_code", "area_name", "value", "status", "numerator", "denominator", "is_subject",
                           "rank", "neighbour_rank", "council_code"]]

    return Comparison(
        indicator_id=ind.id, indicator=ind, period=period, period_label=ind.period_label(period),
        area_code=code, area_name=area_name, data_area_code=data_code, joint_with=joint_with,
        value=value, status=status, numerator=num, denominator=den,
        england=england, england_status=eng["status"], region_code=region_code, region_name=region_name,
        region_value=region_value, comparator=comp_label, comparator_codes=tuple(members),
        neighbour_mean=nb_mean, neighbour_median=_stat(nbrs["value"], "median"), neighbour_n=int(len(nb_ok)),
        neighbour_total=int(len(nbrs)), neighbour_min=_stat(nbrs["value"], "min"),
        neighbour_max=_stat(nbrs["value"], "max"),
        rank=rank, rank_n=rank_n if not _isnan(rank) else rank_n, rank_tied=rank_tied,
        position=position, position_n=position_n, band=band,
        diff_neighbours=float(diff_nb), rel_diff_neighbours=float(rel_nb), diff_england=float(diff_en),
        rel_diff_england=float(rel_en), vs_neighbours=_level_word(lvl_nb), vs_neighbours_level=lvl_nb,
        vs_england=_level_word(lvl_en), vs_england_level=lvl_en, better_than_neighbours=better,
        trend_3=tr3, trend_5=tr5, change_1y=change_1y, funnel=funnel, target=tgt,
        rag=rag, rag_neighbours=rag_nb, rag_target=rag_t,
        series=series, neighbour_values=nb_values.reset_index(drop=True), all_council_values=all_values,
        notes=tuple(notes))


def _series(rows: pd.DataFrame, by_period: dict, code: str, members: list[str], region_code: str, names: dict):
    """The council's, its comparators' mean, its region's and England's values by period."""
    periods = sorted(int(p) for p in rows["period"].unique())
    nat = rows[rows["level"] == "national"].drop_duplicates("period")
    nat = dict(zip(nat["period"].astype(int), nat["value"].astype(float)))
    reg = rows[(rows["level"] == "regional") & (rows["area_code"] == region_code)].drop_duplicates("period")
    reg = dict(zip(reg["period"].astype(int), reg["value"].astype(float)))
    recs, council = [], []
    for p in periods:
        grp = _resolve_group(by_period.get(p, {}), code, members, names)
        s = grp[0]
        nb = [g["value"] for g in grp[1:] if not math.isnan(g["value"])]
        recs.append({"period": p, "council": s["value"], "council_status": s["status"],
                     "neighbour_mean": float(np.mean(nb)) if nb else np.nan, "neighbour_n": len(nb),
                     "region": reg.get(p, np.nan), "england": nat.get(p, np.nan)})
        council.append({"period": p, "value": s["value"], "numerator": s["numerator"],
                        "denominator": s["denominator"], "status": s["status"]})
    return pd.DataFrame(recs), pd.DataFrame(council, columns=["period", "value", "numerator", "denominator",
                                                               "status"])


def _trend_for(council_series: pd.DataFrame, ind: Indicator, period: int, years: int) -> Trend:
    s = council_series.sort_values("period")
    res = _trend_core(s["period"].to_numpy(), period, s["value"].to_numpy(dtype=float)[None, :],
                      s["numerator"].to_numpy(dtype=float)[None, :], s["denominator"].to_numpy(dtype=float)[None, :],
                      years, funnel_kind(ind), ind.unit, ind.polarity)
    return _trend_from_core(res, 0, years, period)


# --------------------------------------------------------------------------- many at once

def compare_council(store, area_code, period: int | None = None, indicators=None, *, comparator=None,
                    targets: Mapping[str, float] | None = None, overdispersion: bool = True) -> list[Comparison]:
    """Every catalogue indicator (or those listed) for one council. ``period``
    None means each indicator's latest period; a period with no data for an
    indicator falls back to that indicator's latest period."""
    st = _as_store(store)
    ids = list(indicators) if indicators is not None else st.catalogue.ids()
    present = set(st.indicators["indicator"].unique())
    cache: dict = {}
    out = []
    for iid in ids:
        if iid not in present:
            continue
        rows = _indicator_rows(st, iid, cache)
        p = period
        if p is not None and not (rows["period"] == int(p)).any():
            p = None
        out.append(compare_indicator(st, area_code, iid, p, comparator,
                                     target=(targets or {}).get(iid), overdispersion=overdispersion,
                                     _cache=cache))
    return out


def _council_list(st, model: str) -> list[str]:
    nb = st.neighbours
    if len(nb):
        if "model" in nb.columns and model in set(nb["model"].astype(str)):
            nb = nb[nb["model"].astype(str) == model]
        return sorted(set(nb["area_code"].astype(str)))
    la = st.indicators[st.indicators["level"] == "la"]
    latest = la[la["period"] == la["period"].max()]
    return sorted(_resolution_map(latest["area_code"].astype(str).unique()).keys())


def compare_all(store, period: int | None = None, *, model: str = DEFAULT_MODEL,
                indicators=None, funnel_method: str | None = None, overdispersion: bool = True) -> pd.DataFrame:
    """Every indicator for every council: one row per council x indicator,
    for ``period`` or (None) each indicator's latest period.

    Vectorised: the store is laid out once as dense arrays (indicator x
    period x council, a joint return copied to each member without a row of
    its own), then each indicator is a handful of numpy operations; the rules
    and figures are those of :func:`compare_indicator` with statistical
    neighbours. Columns: indicator, period, area_code, area_name,
    data_area_code, joint, value, status, numerator, denominator,
    neighbour_mean, neighbour_median, neighbour_n, neighbour_min,
    neighbour_max, england, rank, rank_n, position, position_n, band, funnel,
    small_numbers, vs_neighbours, vs_england, trend (3 years),
    trend_judgement, trend_5, change_1y, change_1y_beyond_chance, rag,
    rag_neighbours, rag_target. ``funnel`` allows for over-dispersion unless
    ``overdispersion=False``, as :func:`compare_indicator` does."""
    st = _as_store(store)
    ids = [i for i in (list(indicators) if indicators is not None else st.catalogue.ids())]
    councils = _council_list(st, model)
    C = len(councils)
    c_index = {c: k for k, c in enumerate(councils)}
    c_lookup = pd.Index(councils, dtype=object)
    names = _area_names(st)

    tab = st.indicators
    tab = tab[tab["indicator"].isin(ids)]
    tab = _ensure_columns(tab)
    ind_col = tab["indicator"].astype(str).to_numpy()
    level = tab["level"].astype(str).to_numpy()
    code = tab["area_code"].astype(str).to_numpy()
    per = tab["period"].to_numpy(dtype=int)
    status = tab["status"].astype(str).to_numpy().astype(object)
    val = tab["value"].to_numpy(dtype=float)
    val = np.where(status == "ok", val, np.nan)
    num = tab["numerator"].to_numpy(dtype=float)
    den = tab["denominator"].to_numpy(dtype=float)
    present = [i for i in ids if i in set(ind_col)]
    I = len(present)
    i_index = {iid: k for k, iid in enumerate(present)}
    periods = np.array(sorted(set(per.tolist()))) if len(per) else np.array([], dtype=int)
    P = len(periods)
    p_index = {p: k for k, p in enumerate(periods.tolist())}
    ii = pd.Index(present, dtype=object).get_indexer(ind_col.astype(object))
    pp = np.searchsorted(periods, per) if P else np.array([], dtype=int)

    # data codes (own or joint rows) get integer ids
    la_mask = level == "la"
    d_codes, d_inv = np.unique(code[la_mask], return_inverse=True)
    D = len(d_codes)
    V = np.full((I, P, C), np.nan)
    NUM = np.full((I, P, C), np.nan)
    DEN = np.full((I, P, C), np.nan)
    ST = np.full((I, P, C), "missing", dtype=object)
    DC = np.full((I, P, C), -1, dtype=int)
    la_idx = np.flatnonzero(la_mask)
    # joint rows first (to each member), then own rows overwrite
    joint_sel = np.array(["/" in c for c in d_codes], dtype=bool) if D else np.zeros(0, dtype=bool)
    for pass_joint in (True, False):
        rows = la_idx[joint_sel[d_inv] == pass_joint] if D else la_idx[:0]
        rows = rows[ii[rows] >= 0]
        if pass_joint:
            src, dst = [], []
            for r in rows:
                for m in code[r].split("/"):
                    k = c_index.get(m.strip())
                    if k is not None:
                        src.append(r)
                        dst.append(k)
            src, dst = np.array(src, dtype=int), np.array(dst, dtype=int)
        else:
            ck = c_lookup.get_indexer(code[rows].astype(object))
            src, dst = rows[ck >= 0], ck[ck >= 0]
        if len(src):
            V[ii[src], pp[src], dst] = val[src]
            NUM[ii[src], pp[src], dst] = num[src]
            DEN[ii[src], pp[src], dst] = den[src]
            ST[ii[src], pp[src], dst] = status[src]
            DC[ii[src], pp[src], dst] = np.searchsorted(d_codes, code[src])

    # neighbour matrix (council x rank)
    nb = st.neighbours
    K = 0
    NBM = np.zeros((C, 0), dtype=int)
    if len(nb):
        if "model" in nb.columns:
            models = set(nb["model"].astype(str))
            use = model if model in models else (next(iter(models)) if len(models) == 1 else model)
            nb = nb[nb["model"].astype(str) == use]
        nb = nb.assign(area_code=nb["area_code"].astype(str), neighbour_code=nb["neighbour_code"].astype(str))
        if "rank" in nb.columns:
            nb = nb.sort_values(["area_code", "rank"])
        order = nb.groupby("area_code").cumcount().to_numpy()
        K = int(order.max()) + 1 if len(order) else 0
        NBM = np.full((C, K), -1, dtype=int)
        a = c_lookup.get_indexer(nb["area_code"].to_numpy(dtype=object))
        b = c_lookup.get_indexer(nb["neighbour_code"].to_numpy(dtype=object))
        ok = a >= 0
        NBM[a[ok], order[ok]] = b[ok]

    nat_mask = level == "national"
    c_arr = np.array(councils, dtype=object)
    name_arr = np.array([names.get(c, c) for c in councils], dtype=object)
    out_frames = []
    for iid in present:
        ind = st.catalogue[iid]
        i = i_index[iid]
        kind = funnel_kind(ind)
        sel_i = ii == i
        has = np.isfinite(val) & sel_i & la_mask
        if period is not None and ((per == int(period)) & sel_i).any():
            p = int(period)
        elif has.any():
            p = int(per[has].max())
        elif (sel_i & np.isfinite(val)).any():
            p = int(per[sel_i & np.isfinite(val)].max())
        else:
            continue
        pk = p_index[p]
        v, n1, d1, dc = V[i, pk], NUM[i, pk], DEN[i, pk], DC[i, pk]
        sign = _sign(ind)

        # all councils: LA rows at the period, each row once (a joint return counts once)
        lr = np.flatnonzero(sel_i & la_mask & (per == p))
        lv = val[lr]
        pos_rows = rank_values(lv, ind.polarity)
        n_all = int(np.isfinite(lv).sum())
        position_by_d = np.full(D, np.nan)
        position_by_d[np.searchsorted(d_codes, code[lr])] = pos_rows
        position = np.where(dc >= 0, position_by_d[np.maximum(dc, 0)], np.nan)
        position = np.where(np.isfinite(v), position, np.nan)
        band = band_from_rank(position, n_all)
        band = np.where(np.isfinite(position), band, None)
        # funnel around the all-council pooled rate
        scale = SCALE[ind.unit]
        if kind is not None:
            ln, ld = num[lr], den[lr]
            okp = np.isfinite(lv) & np.isfinite(ln) & np.isfinite(ld) & (ld > 0)
            nat_v = val[sel_i & nat_mask & (per == p)]
            fallback = float(nat_v[0]) if len(nat_v) else np.nan
            target = float(ln[okp].sum() / ld[okp].sum() * scale) if okp.any() and ld[okp].sum() > 0 else fallback
            usable = _usable_counts(kind, n1, d1)
            tau2 = estimate_overdispersion(kind, target / scale, ln, ld, lv).tau2 if overdispersion else 0.0
            lim = _limits_raw(kind, target / scale, np.where(usable, d1, 1.0), funnel_method, tau2)
            scaled = {k2: (lo * scale, hi * scale) for k2, (lo, hi) in lim.items()}
            fcls = np.where(usable, _classify(v, scaled), "no_counts")
            small = _small(kind, n1, d1) & usable
        else:
            fcls = np.full(C, "no_funnel", dtype=object)
            small = np.zeros(C, dtype=bool)
        fcls = np.where(np.isfinite(v), fcls, "no_value")

        # neighbour groups
        if K:
            safe = np.maximum(NBM, 0)
            nv = np.where(NBM >= 0, v[safe], np.nan)
            ndc = np.where(NBM >= 0, dc[safe], -1)
            keep = (NBM >= 0) & ~((ndc >= 0) & (ndc == dc[:, None]))
            for k in range(1, K):
                for j in range(k):
                    keep[:, k] &= ~((ndc[:, k] >= 0) & (ndc[:, k] == ndc[:, j]) & keep[:, j])
            nv = np.where(keep, nv, np.nan)
        else:
            nv = np.full((C, 1), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"), warnings_off():
            nb_n = np.isfinite(nv).sum(axis=1)
            nb_mean = np.where(nb_n > 0, np.nansum(nv, axis=1) / np.maximum(nb_n, 1), np.nan)
            nb_median = np.nanmedian(np.where(nb_n[:, None] > 0, nv, 0.0), axis=1)
            nb_median = np.where(nb_n > 0, nb_median, np.nan)
            nb_min = np.where(nb_n > 0, np.nanmin(np.where(np.isfinite(nv), nv, np.inf), axis=1), np.nan)
            nb_max = np.where(nb_n > 0, np.nanmax(np.where(np.isfinite(nv), nv, -np.inf), axis=1), np.nan)
        beats = ((nv * sign) > (v * sign)[:, None]).sum(axis=1)
        rank = np.where(np.isfinite(v), beats + 1.0, np.nan)
        rank_n = nb_n + np.isfinite(v).astype(int)

        nat_v = val[sel_i & nat_mask & (per == p)]
        england = float(nat_v[0]) if len(nat_v) else np.nan
        lvl_nb = _difference_level(v, nb_mean, n1, d1, kind, ind.unit, funnel_method)
        lvl_en = _difference_level(v, england, n1, d1, kind, ind.unit, funnel_method)
        rag_nb = _rag_from_level(lvl_nb, ind.polarity)
        if ind.target is not None and not ind.is_context:
            rag_t = _rag_target(v, ind.target, _difference_level(v, ind.target, n1, d1, kind, ind.unit,
                                                                 funnel_method), ind.polarity)
            rag = rag_t
        else:
            rag_t = np.full(C, None, dtype=object)
            rag = rag_nb
        if ind.is_context:
            rag = np.full(C, "n/a", dtype=object)

        t3 = _trend_core(periods, p, V[i].T, NUM[i].T, DEN[i].T, 3, kind, ind.unit, ind.polarity)
        t5 = _trend_core(periods, p, V[i].T, NUM[i].T, DEN[i].T, 5, kind, ind.unit, ind.polarity)
        if p - 1 in p_index:
            q = p_index[p - 1]
            yc = _year_change_arrays(v, n1, d1, V[i, q], NUM[i, q], DEN[i, q], kind, ind.unit)
            change = yc["change"]
            beyond_chance = yc["beyond_chance"]
        else:
            change = np.full(C, np.nan)
            beyond_chance = np.zeros(C, dtype=bool)

        data_code = np.where(dc >= 0, d_codes[np.maximum(dc, 0)] if D else "", None)
        out_frames.append({
            "indicator": np.full(C, iid, dtype=object), "period": np.full(C, p), "area_code": c_arr,
            "area_name": name_arr, "data_area_code": data_code,
            "joint": np.array([bool(x) and "/" in x for x in data_code], dtype=bool), "value": v, "status": ST[i, pk],
            "numerator": n1, "denominator": d1, "neighbour_mean": nb_mean, "neighbour_median": nb_median,
            "neighbour_n": nb_n, "neighbour_min": nb_min, "neighbour_max": nb_max, "england": england,
            "rank": rank, "rank_n": rank_n, "position": position, "position_n": n_all, "band": band,
            "funnel": fcls, "small_numbers": small, "vs_neighbours": _level_words(lvl_nb),
            "vs_england": _level_words(lvl_en), "trend": t3["direction"], "trend_judgement": t3["judgement"],
            "trend_5": t5["direction"], "change_1y": change, "change_1y_beyond_chance": beyond_chance,
            "rag": rag, "rag_neighbours": rag_nb, "rag_target": rag_t})
    if not out_frames:
        return pd.DataFrame()
    cols = {}
    for key in out_frames[0]:
        parts = [np.broadcast_to(np.asarray(f[key], dtype=object if np.ndim(f[key]) == 0 else None), (C,))
                 for f in out_frames]
        cols[key] = np.concatenate(parts)
    out = pd.DataFrame(cols)
    for key in ("value", "numerator", "denominator", "neighbour_mean", "neighbour_median", "neighbour_min",
                "neighbour_max", "england", "rank", "position", "change_1y"):
        out[key] = out[key].astype(float)
    for key in ("period", "neighbour_n", "rank_n", "position_n"):
        out[key] = out[key].astype(int)
    for key in ("joint", "small_numbers", "change_1y_beyond_chance"):
        out[key] = out[key].astype(bool)
    return out


class warnings_off:
    """Silence numpy's all-NaN warnings inside a block."""

    def __enter__(self):
        import warnings
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _level_words(level) -> np.ndarray:
    level = np.asarray(level, dtype=float)
    words = np.array(["lower", "similar", "higher"], dtype=object)
    return np.where(np.isfinite(level), words[(np.sign(np.nan_to_num(level)) + 1).astype(int)], None)


def _year_change_arrays(v1, n1, d1, v0, n0, d0, kind, unit) -> dict:
    """Change since the previous period and whether it is beyond chance
    (two-sample z-test with pooled binomial/Poisson variance)."""
    v1, v0 = np.asarray(v1, dtype=float), np.asarray(v0, dtype=float)
    n1, d1, n0, d0 = (np.asarray(a, dtype=float) for a in (n1, d1, n0, d0))
    scale = SCALE.get(unit, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        change = v1 - v0
        rel = np.where(v0 != 0, change / v0, np.nan)
        if kind is not None:
            testable = _usable_counts(kind, n1, d1) & _usable_counts(kind, n0, d0) & np.isfinite(change)
            pooled = (n1 + n0) / (d1 + d0)
            var_unit = pooled * (1 - pooled) if kind == "binomial" else pooled
            se = np.sqrt(var_unit * (1 / d1 + 1 / d0)) * scale
            z = np.where(se > 0, (n1 / d1 - n0 / d0) * scale / se, 0.0)
            z = np.where(testable, z, np.nan)
            p = np.where(testable, 2 * stats.norm.sf(np.abs(z)), np.nan)
        else:
            testable = np.zeros(change.shape, dtype=bool)
            z = p = np.full(change.shape, np.nan)
        significant = testable & (np.nan_to_num(p, nan=1.0) < 0.05)
        meaningful = np.isfinite(change) & (np.abs(np.nan_to_num(change)) >= minimum_meaningful_change(unit, v0))
    return {"change": change, "relative_change": rel, "z": z, "p_value": p, "testable": testable,
            "significant": significant, "meaningful": meaningful, "beyond_chance": significant & meaningful}


def _year_change(cur: dict, prev: dict | None, kind, unit, period: int) -> YearChange | None:
    if prev is None:
        return None
    v1, v0 = _f(cur["value"]), _f(prev["value"])
    if _isnan(v1) or _isnan(v0):
        return YearChange(period, prev["period"], v1, v0, float("nan"), float("nan"), float("nan"),
                          float("nan"), None, False, False, "no comparison")
    r = _year_change_arrays([v1], [cur["numerator"]], [cur["denominator"]], [v0], [prev["numerator"]],
                            [prev["denominator"]], kind, unit)
    change = float(r["change"][0])
    testable = bool(r["testable"][0])
    direction = "up" if change > 0 else "down" if change < 0 else "no change"
    return YearChange(period, prev["period"], v1, v0, change, float(r["relative_change"][0]), float(r["z"][0]),
                      float(r["p_value"][0]), bool(r["significant"][0]) if testable else None,
                      bool(r["meaningful"][0]), bool(r["beyond_chance"][0]), direction)



# --------------------------------------------------------------------------- monthly series

def _month_index(s: pd.Series) -> pd.Series:
    """Months as integers (year * 12 + month - 1) from datetimes or 'YYYY-MM'."""
    if isinstance(s.dtype, pd.PeriodDtype):
        ts = s.dt.to_timestamp()
    else:
        ts = pd.to_datetime(s.astype(str) if not pd.api.types.is_datetime64_any_dtype(s) else s, format="mixed")
    return ts.dt.year * 12 + ts.dt.month - 1


def _month_from_index(mi: pd.Series) -> pd.Series:
    mi = mi.astype(int)
    return pd.to_datetime(pd.DataFrame({"year": mi // 12, "month": mi % 12 + 1, "day": 1}))


def year_on_year(df: pd.DataFrame, month: str = "month", value: str = "value", by=None) -> pd.DataFrame:
    """Each month against the same month a year earlier.

    Input: a month column (datetime or 'YYYY-MM'), a value column and optional
    grouping columns ``by``. Returns the rows sorted by group and month with
    added columns month_start (first day of the month), value_last_year,
    yoy_change and yoy_pct (percent, NaN where last year is 0 or missing)."""
    by = [by] if isinstance(by, str) else list(by or [])
    out = df.copy()
    out["_mi"] = _month_index(out[month]).to_numpy()
    prev = out[by + ["_mi", value]].rename(columns={value: "value_last_year"})
    prev = prev.drop_duplicates(by + ["_mi"], keep="last")
    prev["_mi"] = prev["_mi"] + 12
    out = out.merge(prev, on=by + ["_mi"], how="left")
    out["month_start"] = _month_from_index(out["_mi"])
    out["yoy_change"] = out[value] - out["value_last_year"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = out["yoy_change"] / out["value_last_year"].where(out["value_last_year"] != 0) * 100
    out["yoy_pct"] = pct
    return out.sort_values(by + ["_mi"]).drop(columns="_mi").reset_index(drop=True)


def rolling_12_month(df: pd.DataFrame, month: str = "month", value: str = "value", by=None,
                     how: str = "mean") -> pd.DataFrame:
    """Rolling 12-month average (``how="mean"``) or total (``"sum"``).

    The window is 12 calendar months: a missing month is a gap, not skipped,
    and the rolling figure is NaN until 12 consecutive months have values.
    Returns the input rows (sorted) with a ``rolling_12m`` column."""
    by = [by] if isinstance(by, str) else list(by or [])
    out = df.copy()
    out["_mi"] = _month_index(out[month]).to_numpy()
    out = out.sort_values(by + ["_mi"]).reset_index(drop=True)
    keyed = out[by + ["_mi", value]].drop_duplicates(by + ["_mi"], keep="last")
    pieces = []
    grouped = keyed.groupby(by, sort=False) if by else [((), keyed)]
    for key, part in grouped:
        full = np.arange(part["_mi"].min(), part["_mi"].max() + 1)
        s = part.set_index("_mi")[value].astype(float).reindex(full)
        roll = s.rolling(12, min_periods=12)
        r = roll.mean() if how == "mean" else roll.sum()
        piece = pd.DataFrame({"_mi": full, "rolling_12m": r.to_numpy()})
        key = key if isinstance(key, tuple) else (key,)
        for col, k in zip(by, key):
            piece[col] = k
        pieces.append(piece)
    rolled = pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=by + ["_mi", "rolling_12m"])
    out = out.merge(rolled, on=by + ["_mi"], how="left")
    return out.drop(columns="_mi")


def monthly_profile(df: pd.DataFrame, month: str = "month", value: str = "value", by=None) -> pd.DataFrame:
    """Average for each calendar month across years (seasonality): columns
    (by...), calendar_month (1-12), month_name, mean, min, max, years."""
    by = [by] if isinstance(by, str) else list(by or [])
    d = df.copy()
    mi = _month_index(d[month])
    d["calendar_month"] = (mi % 12 + 1).to_numpy()
    agg = d.groupby(by + ["calendar_month"])[value].agg(["mean", "min", "max", "count"]).reset_index()
    agg = agg.rename(columns={"count": "years"})
    agg["month_name"] = pd.to_datetime(agg["calendar_month"].astype(int).astype(str) + "-1-2000",
                                       format="%m-%d-%Y").dt.strftime("%B")
    return agg[by + ["calendar_month", "month_name", "mean", "min", "max", "years"]]
