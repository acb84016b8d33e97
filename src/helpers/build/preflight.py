"""Before a batch starts: every run checked against the data, and runs that
build the same pack found.

Each run is planned as its build would plan it (:func:`plan_pack`): the
council resolved (a misspelling is reported with suggestions), the period
held, the neighbour model held, the sections found, the comparator group and
the targets usable. Every problem of every run is collected, so a run file's
mistakes are reported together, before any kernel starts.

Two runs that would write the same pack are one pack: identical runs are
built once; runs that differ (another committee, other sections) are an
error, since the second would silently replace the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ScrutinyError


@dataclass
class Preflight:
    """The runs to build (in order, duplicates removed), each with its
    planned destination; the duplicates dropped; every problem found."""
    runs: list = field(default_factory=list)
    dests: dict = field(default_factory=dict)          # id(run) -> planned pack folder
    names: dict = field(default_factory=dict)          # id(run) -> council's name
    duplicates: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class BatchConfigError(ScrutinyError):
    """Runs of a batch that cannot be built as asked; nothing was started."""

    def __init__(self, problems: list[str], source: str = ""):
        self.problems = problems
        head = f"{source}: " if source else ""
        if len(problems) == 1:
            text = f"{head}{problems[0]}. Nothing was built"
        else:
            text = (f"{head}{len(problems)} runs cannot be built as asked; nothing was built:\n"
                    + "\n".join(f"  - {p}" for p in problems))
        super().__init__(text)


def label(run, index: int | None = None) -> str:
    """How a log names a run: its place in the run file and what it asks for."""
    where = f"runs[{index}] " if index is not None else ""
    return f"{where}({run.describe()})" if where else run.describe()


def preflight(runs, store, *, notebooks_dir=None, reports_dir=None, labels=None) -> Preflight:
    """Plan every run against ``store`` (see the module's docstring).
    ``labels`` names each run for messages (default: what it asks for)."""
    from ..neighbours import resolve_model
    from .plan import plan_pack
    out = Preflight()
    seen: dict = {}
    for i, run in enumerate(runs):
        name = labels[i] if labels else label(run)
        try:
            model = resolve_model(store.neighbours, run.neighbours)
            plan = plan_pack(store, council=run.council, period=run.period, comparator=run.comparator, model=model,
                             committee=run.committee, meeting_date=run.meeting_date, sections=run.sections,
                             comparators_file=run.comparators_file or None, notebooks_dir=notebooks_dir,
                             reports_dir=reports_dir, local_figures=run.local_figures or "",
                             targets_file=run.targets_file or "")
        except ScrutinyError as exc:
            out.problems.append(f"{name}: {exc}")
            continue
        what = (repr(sorted(plan.local_parameters.items(), key=str)), tuple(plan.notebooks), tuple(run.formats))
        earlier = seen.get(plan.dest)
        if earlier is None:
            seen[plan.dest] = (what, name)
            out.runs.append(run)
            out.dests[id(run)] = plan.dest
            out.names[id(run)] = plan.name
        elif earlier[0] == what:
            out.duplicates.append(f"{name} is the same pack as {earlier[1]} ({plan.name} {plan.period}): built once")
        else:
            out.problems.append(f"{name} and {earlier[1]} both build {plan.name} {plan.period} "
                                f"({plan.dest}) with different parameters; the second would replace the first. "
                                f"Give one run per council and period")
    return out
