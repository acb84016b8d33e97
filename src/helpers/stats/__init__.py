"""The statistics of a pack: one council against its statistical neighbours,
its region, all English councils and England.

Pure functions on the indicator store: no words, no plotting, no I/O.
Results carry codes and numbers (:mod:`helpers.stats.results`); the words
are :mod:`helpers.words`' job and the vocabulary is :mod:`helpers.vocab`.
One engine (:mod:`helpers.stats.engine`) makes both views: a single council
(:func:`compare_indicator`) and every council (:func:`compare_all`).

Rules used throughout (docs/statistics.md states them word for word)
--------------------------------------------------------------

Comparable figures (small numbers)
    A figure is compared only when it rests on enough children (or social
    workers). It is not comparable when the counts behind it are not
    published (a suppressed numerator or denominator, for a measure whose
    release gives counts), when a percentage rests on fewer than 20, when a
    rate per 10,000 counts fewer than 10, or when a caseload or days-lost
    figure rests on fewer than 5 full-time social workers. Money and scores
    are always comparable. A figure that is not comparable is shown with
    its count, but gets no rank, band, rating, "higher"/"lower" verdict or
    funnel verdict, and it is left out of the other councils' ranks and
    bands; it still counts in its neighbours' average.

Ranks
    Among the council and its comparators, among the councils of its region
    (London counts as one region), and among all English councils, ordered
    by the indicator's polarity so that 1 is best. Ranks are competition
    ranks: tied values share the better rank and are "joint". Only
    comparable figures are ranked, and only measures with a polarity:
    context measures get no rank, as in LAIT. A joint workforce return
    (314/318) counts once among all councils.

Quartile bands (as the DfE's LAIT does)
    The comparable values of all councils are cut at their quartiles (the
    25th, 50th and 75th percentiles by linear interpolation, as Excel's
    QUARTILE.INC). A is the best quarter by the measure's polarity: the
    highest values when higher is better, the lowest when lower is better.
    A value on a cut point goes to the better band, so equal values share a
    band. Context measures get no band.

Funnel limits (PHE funnel plot methods)
    Proportions (unit percent): binomial, Wilson score limits around the
    target by default ("exact": Spiegelhalter's interpolated binomial
    quantiles; "normal": target +/- z * sqrt(p(1-p)/n)). Rates per 10,000
    (per_10k): the count is Poisson with the population as exposure; exact
    limits from the chi-squared distribution (Byar) by default. Ratios
    (ratio, caseload = cases / case-holding FTE): cases are Poisson with FTE
    as exposure. Spending (gbp, and the spending section whose numerators
    are sums of money), days and scores get no funnel: money is not a count,
    sickness days cluster in long absences and a score is an average, so a
    Poisson limit would be far too narrow. The target is the all-council
    pooled rate (sum of numerators / sum of denominators over councils with
    a value and both counts), falling back to England's value. Limits are
    at 95% (z = 1.96) and 99.8% (z = 3.09).

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
    overdispersion=False gives the chance limits throughout. This applies to
    the funnel of all councils only; "similar to" below asks whether a
    council's own figure differs from a reference beyond its own chance
    variation, so it keeps the chance limits.

Unusual among councils
    A comparable figure is "unusually high" or "unusually low" among
    councils only beyond the funnel's 99.8% limit, the usual range for a
    council of its size (allowing for over-dispersion when the spread is
    wider than chance). Between the 95% and 99.8% limits it is within the
    usual range. The chart titles, their alternative text and the sentences
    use this one rule.

"Similar to"
    A value is "similar to" a reference (the neighbour mean, England, a
    target) when it lies within the 95% funnel limits computed around the
    reference at the council's own denominator, OR the difference is smaller
    than the minimum meaningful change (1 percentage point for percentages,
    5% of the reference otherwise). Without numerators and denominators only
    the minimum meaningful change is used: a difference of at least that
    much is "beyond 95%", and at least three times that much is "beyond
    99.8%". A figure that is not comparable is not called higher, lower or
    similar.

Direction of travel (3 and 5 years)
    Window: the years periods ending at the period compared. A trend needs
    the end period and at least 3 points (3-year window: all 3; 5-year
    window: at least 4), otherwise there are not enough years to judge one.
    With numerators and denominators for every point (and a funnel kind):
    the chi-squared test for linear trend (Cochran-Armitage score test; for
    Poisson counts the equivalent score test with exposure), which is the
    weighted least squares slope with binomial/Poisson variance under the
    pooled rate. Without them: the OLS slope t-test on the published values.
    A trend is called "rising" or "falling" only when ALL of (1) p < 0.05;
    (2) for counts, the fitted change over the window is beyond the 95%
    limit for the difference between two single years at the window's mean
    denominator; (3) the fitted change is at least the minimum meaningful
    change (above, with the window's mean level as reference); (4) the
    latest figure in the window is on the same side of the first as the
    fitted change. Otherwise there is no clear trend. A trend's shape says
    how the series moved: "steady" when it moved the trend's way in every
    year from its first figure in the window to the last, with no year
    missing; "reversed" when the latest year went the other way; "uneven"
    otherwise.

Change since last year
    Absolute and relative change from the previous period. With counts it
    is tested by a two-sample z-test using the pooled binomial/Poisson
    variance (significant); without counts significant is None. The change
    is beyond chance only when it is significant AND at least the minimum
    meaningful change.

RAG
    Context indicators and figures that are not comparable: "n/a".
    Otherwise, against neighbours (and, separately, against a target when
    the catalogue or the caller gives one), from the comparison level above,
    in the good direction: green = better beyond the 95% limit (and
    meaningfully); amber = similar (within the 95% limits), or worse beyond
    the 95% limit but within the 99.8% limit; red = worse beyond the 99.8%
    limit (and meaningfully). Against a target: green = target met; amber =
    missed but within the 99.8% limit around the target; red = missed
    beyond it. The rating is the target rating when there is a target,
    otherwise the neighbour rating; "n/a" when the council or its
    comparators have no value.

Joint returns and comparator groups
    A council that makes a joint workforce return with another (Kingston
    upon Thames and Richmond upon Thames; North and West Northamptonshire)
    is compared on the joint figure. In any group, a member whose figure is
    the council's own joint return is left out, and a joint return counts
    once; the pack names the members left out. A council with no
    comparators in the group gets no rank among them.

Periods
    A pack compares each measure at the period asked for or, where the
    measure has no figure then, its latest earlier period (said in the
    pack); a figure dated after the pack's period is never shown as
    current. Without a period, each measure's latest period in which any
    council has a figure.
"""

from __future__ import annotations

import importlib

#: Where each public name lives: importing helpers.stats stays light (no
#: scipy) until a statistic is used, so assembling a pack stays quick.
_WHERE = {
    "comparability": "counts", "counts_published": "counts",
    "compare_rows": "engine", "league": "engine",
    "FUNNEL_CLASSES": "funnel", "NO_OVERDISPERSION": "funnel", "SCALE": "funnel", "Z95": "funnel", "Z998": "funnel",
    "Overdispersion": "funnel", "classify_funnel": "funnel", "difference_level": "funnel",
    "estimate_overdispersion": "funnel", "funnel_curve": "funnel", "funnel_kind": "funnel",
    "funnel_limits": "funnel", "minimum_meaningful_change": "funnel",
    "monthly_profile": "monthly", "rolling_12_month": "monthly", "year_on_year": "monthly",
    "bands_by_value": "ranking", "competition_ranks": "ranking", "quartile_cuts": "ranking", "tied": "ranking",
    "Comparison": "results", "FunnelResult": "results", "Trend": "results", "YearChange": "results",
    "trend_test": "trend",
    "NoFiguresError": "views", "as_store": "views", "compare_all": "views", "compare_council": "views",
    "compare_indicator": "views", "league_table": "views", "period_not_after": "views",
}
__all__ = sorted(_WHERE)


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
