"""Chart build and render times (house style), printed, not asserted.

Each chart kind a pack draws is built, turned into the pack's markup (the
image in the house style's format, alt text, data table) and closed, as the
section code does; the figure is the median CPU time of several rounds, in ms.

    .venv/bin/python benchmarks/bench_charts.py
    .venv/bin/python benchmarks/bench_charts.py --against HEAD~3 --image png   # before/after

``--against REV`` loads ``src/helpers/charts.py`` and its ``chart_style.yml``
as they were at git revision REV next to the working copy and times both,
round by round in turn, so a busy machine slows both alike. ``--image``
makes both embed the same format (else each uses its own house style's).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import charts
from helpers.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[1]


def charts_at(revision: str):
    """helpers.charts (and its house style file) as at a git revision, loaded
    as a module of its own."""
    folder = Path(tempfile.mkdtemp())
    for name in ("charts.py", "chart_style.yml"):
        source = subprocess.run(["git", "show", f"{revision}:src/helpers/{name}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        (folder / name).write_text(source, encoding="utf-8")
    name = "helpers._charts_then"
    spec = importlib.util.spec_from_file_location(name, folder / "charts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def inputs():
    cat = load_catalogue()
    caseload, agency = cat["wf_caseload"], cat["wf_agency"]
    rng = np.random.default_rng(7)
    names = ["Dorset", "Wiltshire", "Somerset", "Devon", "Cornwall", "Shropshire", "Bath and North East Somerset",
             "Windsor and Maidenhead", "North Yorkshire", "Herefordshire", "Gloucestershire"]
    bars = pd.DataFrame({"area_name": names, "value": np.round(rng.normal(15, 2, 11), 1), "status": "ok"})
    series = pd.DataFrame({"period": list(range(2017, 2026)) * 4,
                           "value": np.round(15 + rng.normal(0, 1, 36), 1),
                           "series": sum([[s] * 9 for s in ("Dorset", "Neighbour average", "South West",
                                                            "England")], [])})
    denominators = rng.integers(40, 900, 150).astype(float)
    funnel = pd.DataFrame({"area_name": [f"Council {i}" for i in range(150)],
                           "numerator": np.round(denominators * rng.normal(0.15, 0.05, 150).clip(0.01)),
                           "denominator": denominators})
    funnel.loc[0, "area_name"] = "Dorset"
    p = funnel["numerator"].sum() / funnel["denominator"].sum()
    n = np.linspace(20, 950, 100)
    limits = pd.DataFrame({"denominator": n, "centre": p * 100})
    for z, tag in ((1.96, "95"), (3.09, "998")):
        se = np.sqrt(p * (1 - p) / n)
        limits[f"lower{tag}"], limits[f"upper{tag}"] = (p - z * se).clip(0) * 100, (p + z * se) * 100
    strip = pd.DataFrame({"area_name": [f"Council {i}" for i in range(150)],
                          "value": np.round(rng.normal(15, 2.5, 150), 1)})
    strip.loc[0, "area_name"] = "Dorset"
    glance = []
    for ident in ("wf_caseload", "wf_agency", "wf_turnover", "fd_referral_rate", "fd_rereferral", "cin_rate",
                  "cp_rate", "cp_repeat", "cla_rate", "ps_3plus_year", "cl_eet_1921", "sp_csc_per_child"):
        ind = cat[ident]
        for i, period in enumerate(range(2021, 2026)):
            glance.append(dict(indicator_id=ind.id, label=ind.label, period=period, council=10 + i + rng.random(),
                               neighbour_mean=11 + rng.random(), england=12 + rng.random()))
    months = pd.date_range("2021-04-01", "2025-09-01", freq="MS")
    monthly = pd.DataFrame({"month": months.strftime("%Y-%m"),
                            "value": np.round(450 + 40 * np.sin(months.month / 12 * 2 * np.pi)
                                              + rng.normal(0, 20, len(months)))})
    return dict(caseload=caseload, agency=agency, bars=bars, series=series, funnel=funnel, limits=limits,
                strip=strip, glance=pd.DataFrame(glance), monthly=monthly, catalogue=cat)


def builders(m, d) -> dict:
    """Chart kind -> a function drawing one with module ``m`` (charts now or then)."""
    return {
        "benchmark_bars": lambda: m.benchmark_bars(d["bars"], highlight="Dorset", indicator=d["caseload"],
                                                   neighbour_mean=15.1, england=15.2, period=2025),
        "time_series": lambda: m.time_series(d["series"], highlight="Dorset", indicator=d["caseload"]),
        "funnel_plot": lambda: m.funnel_plot(d["funnel"], highlight="Dorset", indicator=d["agency"],
                                             limits=d["limits"], period=2025),
        "position_strip": lambda: m.position_strip(d["strip"], highlight="Dorset", indicator=d["caseload"],
                                                   england=15.2, period=2025),
        "at_a_glance": lambda: m.at_a_glance(d["glance"], council="Dorset", catalogue=d["catalogue"]),
        "monthly_trend": lambda: m.monthly_trend(d["monthly"], rolling=12, label="Referrals", area="Dorset",
                                                 target=470),
        "seasonality_chart": lambda: m.seasonality_chart(d["monthly"], label="Referrals", area="Dorset"),
    }


def once(build, image: str | None = None) -> float:
    """CPU seconds to build a chart, make its pack markup and close it."""
    start = time.process_time()
    chart = build()
    chart.to_html(image=image)
    chart.close()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="also time charts.py at this git revision")
    parser.add_argument("--image", choices=("png", "svg"), help="embed this format (default: the house style's)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    d = inputs()
    modules = {"now": charts}
    if args.against:
        modules = {f"at {args.against}": charts_at(args.against), "now": charts}
    kinds = {name: builders(m, d) for name, m in modules.items()}
    times: dict[tuple[str, str], list[float]] = {}
    for kind in kinds["now"]:
        for name in modules:
            once(kinds[name][kind], args.image)  # warm: fonts, caches
        for _ in range(args.rounds):
            for name in modules:  # in turn, so a busy machine slows each alike
                times.setdefault((name, kind), []).append(once(kinds[name][kind], args.image))
    image = args.image or charts.house_style().figure.get("image", "png")
    head = f"{f'chart (build + {image} markup + close)':<36}" + "".join(f"{name:>16}" for name in modules)
    print(head + ("          change" if len(modules) > 1 else ""))
    for kind in kinds["now"]:
        medians = [statistics.median(times[(name, kind)]) * 1000 for name in modules]
        row = f"{kind:<36}" + "".join(f"{m:>13.0f} ms" for m in medians)
        if len(medians) > 1:
            row += f"{(medians[-1] / medians[0] - 1) * 100:>+15.0f}%"
        print(row)
    print(f"(median CPU time of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
