"""A pack's figures as a record: for each indicator the period, the figure
and the codes the statistics gave it (rating, comparison, position, trend,
funnel class), saved with every pack as ``figures.json`` so the next pack
can say what changed since this one. Codes and numbers only."""

from __future__ import annotations

import json
import math
from pathlib import Path

from .results import Comparison

__all__ = ["RECORD_VERSION", "indicator_record", "figures_record", "read_record"]

RECORD_VERSION = 1


def _num(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def indicator_record(c: Comparison) -> dict:
    """One indicator's figure and codes."""
    trend = c.trend_3 if c.trend_3.is_trend or not c.trend_5.is_trend else c.trend_5
    return {
        "period": int(c.period), "period_label": c.period_label, "value": _num(c.value), "status": c.status,
        "numerator": _num(c.numerator), "denominator": _num(c.denominator), "comparable": bool(c.comparable),
        "rag": c.rag, "rag_target": c.rag_target, "target": _num(c.target), "vs_neighbours": c.vs_neighbours,
        "vs_england": c.vs_england, "neighbour_mean": _num(c.neighbour_mean), "england": _num(c.england),
        "rank": _num(c.rank), "rank_n": int(c.rank_n), "region_rank": _num(c.region_rank),
        "region_rank_n": int(c.region_rank_n), "position": _num(c.position), "position_n": int(c.position_n),
        "band": c.band, "unusual": c.funnel.unusual_side if c.comparable else None,
        "trend": trend.direction, "trend_shape": trend.shape, "trend_years": int(trend.years),
    }


def figures_record(council: dict, comparisons, questions=(), *, built: str = "", inspection: dict | None = None
                   ) -> dict:
    """The record saved as a pack's ``figures.json``: the council, when it was
    built, each indicator's record, the questions asked (with the indicators
    each rests on) and the Ofsted judgement shown."""
    return {"version": RECORD_VERSION, "council": council, "built": built,
            "indicators": {c.indicator_id: indicator_record(c) for c in comparisons},
            "questions": [{"text": q, "indicators": list(ids)} for q, ids in questions],
            "inspection": inspection or {}}


def read_record(path) -> dict | None:
    """A pack's figures record from its ``figures.json`` (or a pack folder);
    None when there is none or it is not a record this version reads."""
    p = Path(path)
    if p.is_dir():
        p = p / "figures.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("version") != RECORD_VERSION or not isinstance(doc.get("indicators"),
                                                                                          dict):
        return None
    return doc
