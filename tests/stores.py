"""A small hand-built store for the statistics and words tests: 11 councils,
2019-2025, with a joint workforce return, a reorganised council and
suppressed cells. Pure pandas frames, shaped like the real store."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from helpers.catalogue import load_catalogue

CAT = load_catalogue()

COUNCILS = [("101", "Alpha", "E12000001"), ("102", "Beta", "E12000001"), ("103", "Gamma", "E12000001"),
            ("104", "Delta", "E12000001"), ("105", "Epsilon", "E12000001"), ("106", "Zeta", "E12000002"),
            ("107", "Eta", "E12000002"), ("108", "Theta", "E12000002"),
            ("314", "Kingston upon Thames", "E12000002"), ("318", "Richmond upon Thames", "E12000002"),
            ("838", "Dorset", "E12000002")]
REGION_NAMES = {"E12000001": "North", "E12000002": "South"}


def small_store(seed: int = 1):
    """11 councils, 2019-2025; csww indicators have a joint 314/318 return;
    Dorset (838) starts in 2023; cp_2yr has suppressed cells."""
    rng = np.random.default_rng(seed)
    recs = []
    for iid in ["wf_caseload", "wf_agency", "cla_rate", "sp_csc_per_child", "cp_2yr"]:
        ind = CAT[iid]
        start = len(recs)
        for p in range(2019, 2026):
            t = p - 2019
            for i, (code, name, reg) in enumerate(COUNCILS):
                if code == "838" and p < 2023:
                    continue
                if iid.startswith("wf") and code in ("314", "318"):
                    continue
                if iid == "wf_caseload":
                    den = 50 + 10 * i
                    num = round(den * (14 + i * 0.5 - (0.6 * t if code == "101" else 0)))
                    val = round(num / den, 1)
                elif iid == "wf_agency":
                    den = 100 + 20 * i
                    num = round(den * (0.10 + 0.01 * i + (0.02 * t if code == "102" else 0)))
                    val = round(100 * num / den, 1)
                elif iid == "cla_rate":
                    den = 50000 + 5000 * i
                    num = int(rng.poisson(den * (60 + 3 * i) / 1e4))
                    val = round(num / den * 1e4)
                elif iid == "cp_2yr":
                    den = 200 + 10 * i
                    num = int(rng.binomial(den, 0.04))
                    val = round(100 * num / den, 1)
                else:
                    den = 50000 + 5000 * i
                    num = den * (1200 + 40 * i)
                    val = round(num / den)
                status = "c" if iid == "cp_2yr" and num < 8 else "ok"
                recs.append(dict(area_code=code, area_name=name, level="la", region_code=reg,
                                 region_name=REGION_NAMES[reg], period=p, indicator=iid,
                                 value=val if status == "ok" else np.nan,
                                 numerator=num if status == "ok" else np.nan,
                                 denominator=den if status == "ok" else np.nan, status=status, source=ind.source))
            if iid.startswith("wf"):
                den, num = 90.0, 90.0 * (15 if iid == "wf_caseload" else 0.2)
                recs.append(dict(area_code="314/318", area_name="Kingston upon Thames / Richmond upon Thames",
                                 level="la", region_code="E12000002", region_name="South", period=p, indicator=iid,
                                 value=round(num / den * (100 if iid == "wf_agency" else 1), 1), numerator=num,
                                 denominator=den, status="ok", source=ind.source))
        la = pd.DataFrame(recs[start:])
        scale = {"percent": 100, "per_10k": 1e4}.get(ind.unit, 1)
        for p in range(2019, 2026):
            lp = la[(la.period == p) & (la.status == "ok")]
            for lvl, code, name, sub in [("national", "E92000001", "England", lp),
                                         ("regional", "E12000001", "North", lp[lp.region_code == "E12000001"]),
                                         ("regional", "E12000002", "South", lp[lp.region_code == "E12000002"])]:
                n, d = sub.numerator.sum(), sub.denominator.sum()
                recs.append(dict(area_code=code, area_name=name, level=lvl,
                                 region_code="" if lvl == "national" else code,
                                 region_name="" if lvl == "national" else name, period=p, indicator=iid,
                                 value=round(n / d * scale, 1), numerator=n, denominator=d, status="ok",
                                 source=ind.source))
    codes = [c[0] for c in COUNCILS]
    nb = [dict(model="dfe_2025", area_code=c, rank=r, neighbour_code=codes[(i + r) % len(codes)], closeness="Close")
          for i, c in enumerate(codes) for r in range(1, 6)]
    areas = pd.DataFrame([dict(area_code=c, area_name=n, level="la", ons_code="", region_code=r,
                               region_name=REGION_NAMES[r], first_period=2023 if c == "838" else 2019,
                               last_period=2025, note="") for c, n, r in COUNCILS])
    return SimpleNamespace(indicators=pd.DataFrame(recs), neighbours=pd.DataFrame(nb), areas=areas, catalogue=CAT)
