"""Planning one pack before anything runs: which council, period, sections
and files it is, where it goes, and its fingerprint. Every file a pack was
given is checked here (a targets file the pack cannot show, a comparator
group it cannot use, a broken sources manifest), so a problem stops the
build before the first notebook runs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..errors import PackBuildError, ParameterError, ScrutinyError, UnknownCouncilError
from ..data.snapshot import clean_leftovers
from ..spec import PackSpec, find_spec, load_spec
from . import install
from .fingerprint import fingerprint


class NoOfficialCouncilError(UnknownCouncilError):
    """A name that matches no council in the official releases, with how to
    build a pack of the council's own figures (a Welsh council, say)."""

    def __init__(self, given: str, suggestions=None):
        from ..geography import welsh_council
        welsh = welsh_council(given)
        super().__init__(given, [] if welsh else suggestions)
        file = re.sub(r"[^a-z0-9]+", "_", (welsh or given).lower()).strip("_") + ".csv"
        if welsh:
            lead = (f"{welsh} is a Welsh council: the official releases this tool reads cover councils in England "
                    f"only.")
        else:
            lead = str(self)
        how = (f"To build a pack of {welsh or given}'s own monthly figures, write a template with 'scrutiny "
               f"template local {file}', fill it in, check it with 'scrutiny check-local {file}', then run "
               f"'scrutiny build --council \"{welsh or given}\" --local-figures {file}' (see "
               f"docs/local-figures.md; add --comparators-file for a group of its own).")
        self.args = (f"{lead} {how}" if welsh else f"{lead} If it is a council outside the English releases: "
                     f"{how[0].lower()}{how[1:]}",)


@dataclass
class Plan:
    """What one pack is: who, which sections, which files, where it goes."""
    name: str
    code: str
    period: int
    dest: Path
    notebooks: dict
    parameters: dict
    local_parameters: dict
    local_paths: list
    targets_path: Path | None
    spec: PackSpec = field(default_factory=PackSpec.empty)
    commentary_files: list = field(default_factory=list)

    @property
    def official(self) -> bool:
        return bool(self.code)

    @property
    def model(self) -> str:
        """The statistical neighbour model ("dfe_2025"), or "" for the default."""
        year = self.parameters.get("neighbours") or ""
        return f"dfe_{year}" if year else ""


def plan_pack(store, *, council, period, comparator, committee, meeting_date, sections, comparators_file,
              notebooks_dir, reports_dir, local_figures, targets_file, model: str = "", spec="",
              commentary="") -> Plan:
    """Resolve the council, period, sections and files of a pack, and check
    that every file given can be used, before any notebook runs. ``spec``
    is the pack specification ("": pack.yml beside the notebooks, if any);
    ``commentary`` the officer commentary folder ("": the specification's,
    or commentary/ beside the notebooks)."""
    from ..pack import COMPARATORS, council_slug, discover_notebooks, pack_dir, resolve_request, select_sections
    local_paths: list[Path] = []
    try:
        code, name, period = resolve_request(store, council, period)
    except UnknownCouncilError as exc:
        local_paths = find_local(str(council), local_figures)
        if not local_paths:
            raise NoOfficialCouncilError(str(council), exc.suggestions) from None
        code, name = "", str(council).strip()
        period = _local_period(local_paths, period)
    if code:
        local_paths = find_local(name, local_figures)
    slug = council_slug(name)
    reports = Path(reports_dir) if reports_dir else paths.reports_dir()
    dest = pack_dir(reports, slug, period)
    install.check_no_links(reports, dest)
    if dest.parent.is_dir():
        clean_leftovers(dest.parent, f"{install.TMP_PREFIX}*", grace_s=3600)
    available = discover_notebooks(notebooks_dir)
    nb_dir = Path(notebooks_dir) if notebooks_dir else paths.notebooks_dir()
    spec_path = Path(spec) if spec else find_spec(nb_dir)
    pack_spec = load_spec(spec_path, store.catalogue)
    available = {k: v for k, v in available.items() if pack_spec.include_section(k)}
    if not code:
        if "local" not in available:
            raise PackBuildError(f"{name} is not in the official releases and the local performance notebook "
                                 f"is missing from {notebooks_dir or paths.notebooks_dir()}")
        available = {"local": available["local"]}
    elif not local_paths and sections is None:
        available.pop("local", None)  # no figures of its own: no empty local section
    notebooks = select_sections(available, sections)
    folder, notes = _commentary(commentary, pack_spec, nb_dir, slug, store.catalogue, notebooks)
    targets_path = _targets_for(targets_file, local_paths, name, "local" in notebooks, local_figures == "demo")
    _check_comparator_usable(store, code, comparator, comparators_file, COMPARATORS)
    from ..render import _sources
    _sources()  # a broken sources manifest is reported now, not after every notebook has run
    parameters = {"council": code or name, "period": period, "comparator": comparator, "committee": committee,
                  "meeting_date": meeting_date, "data": str(store.snapshot),
                  "comparators_file": str(comparators_file) if comparators_file else None}
    if model:
        parameters["neighbours"] = model.removeprefix("dfe_")
    parameters["pack_spec"] = str(spec_path.resolve()) if spec_path else None
    parameters["commentary"] = str(folder) if folder else None
    local_parameters = {**parameters, "period": period if code else None,
                        "local_figures": "demo" if local_figures == "demo" else
                        str(local_paths[0] if len(local_paths) == 1 else (local_figures or "")),
                        "targets_file": str(targets_path or "")}
    return Plan(name, code, period, dest, notebooks, parameters, local_parameters, local_paths, targets_path,
                pack_spec, notes)


def _commentary(given, spec: PackSpec, nb_dir: Path, slug: str, catalogue, notebooks) -> tuple:
    """The commentary folder and this council's files in it, checked."""
    from ..commentary import check_folder, council_folder
    if given:
        folder = Path(given).resolve()
        if not folder.is_dir():
            raise ParameterError("commentary", "no folder has that path", str(given))
    else:
        folder = spec.commentary or ((nb_dir / "commentary").resolve() if (nb_dir / "commentary").is_dir()
                                     else None)
    # the local performance section and the members' briefing show no commentary: a file for them is an error
    shown = [s for s in notebooks if s not in ("local", "members")]
    return folder, check_folder(council_folder(folder, slug), catalogue, shown)


def pack_fingerprint(store, plan: Plan, formats, comparators_file) -> str:
    from ..pack import PACK_FORMAT
    from ..render import pdf_engine
    facts = {k: v for k, v in plan.local_parameters.items()
             if k not in ("data", "comparators_file", "local_figures", "targets_file", "pack_spec", "commentary")}
    files = {"local_figures": plan.local_paths, "targets": plan.targets_path or "",
             "comparators": comparators_file or "", "sources_manifest": _sources_manifest_path(),
             "local_measures": _local_measures_path() if plan.local_paths else "",
             "pack_spec": plan.spec.files(), "commentary": plan.commentary_files}
    fp, _ = fingerprint(parameters=facts, store=store, notebooks=plan.notebooks, formats=formats, files=files,
                        pack_format=PACK_FORMAT, pdf_engine=pdf_engine() if "pdf" in formats else "")
    return fp


def find_local(council: str, local_figures: str = "") -> list[Path]:
    """The council's own figures files, or [] when it has none."""
    from ..local import find_local_files
    try:
        return find_local_files(council, local_figures)
    except ScrutinyError:
        if local_figures and local_figures != "demo":
            raise  # a path was given and is wrong: say so rather than leave the section out
        return []


def _local_period(local_paths: list[Path], period) -> int:
    from ..params import parse_period
    if period is not None:
        return parse_period(period)
    from ..loaders.local import load_local
    return max(int(load_local(p)["month"].max().year) for p in local_paths)


def _targets_for(targets_file, local_paths: list[Path], council: str, has_local: bool, demo: bool) -> Path | None:
    """The targets file the pack uses, checked now: one given for a pack with
    no local performance section (where targets are shown) is an error."""
    from ..local import default_targets_file, load_targets
    if targets_file:
        if not has_local:
            raise ParameterError("targets_file", f"this pack has no local performance section (no local figures "
                                                 f"for {council} were found or given), and that is where targets "
                                                 f"are shown. Give the council's local figures (--local-figures, "
                                                 f"or a file in data/local/), or leave out the targets file",
                                 str(targets_file))
        load_targets(targets_file)
        return Path(targets_file)
    if not has_local or not local_paths:
        return None
    return default_targets_file(local_paths[0], council, demo)


def _check_comparator_usable(store, code: str, comparator: str, comparators_file, keywords) -> None:
    """A comparator group the pack cannot use (no member in the data, or a
    group meant for another council) is an error before any notebook runs."""
    if comparator in keywords or not comparators_file or not code:
        return
    from ..data.local_files import same_council
    from ..neighbours import load_comparator_groups
    groups = load_comparator_groups(comparators_file, store.areas)
    rows = groups[(groups["group"] == comparator) | (groups["label"] == comparator)]
    if rows.empty:
        return  # validate_parameters has named the groups there are
    group = str(rows["group"].iloc[0])
    owner = str(rows["council"].iloc[0] or "")
    owner_code = rows["council_code"].iloc[0] if "council_code" in rows.columns else None
    name = str(store.area(code)["area_name"])
    if owner and not (owner_code == code or same_council(owner, name) or owner == code):
        raise ParameterError("comparator", f"the group {group!r} in {comparators_file} is for {owner}, not {name}; "
                                           f"choose a group for {name} or remove its 'council:' line", comparator)
    codes = [c for c in rows.loc[rows["resolved"] & ~rows["duplicate"], "area_code"] if str(c) != code]
    if not codes:
        raise ParameterError("comparator", f"the group {group!r} in {comparators_file} has no member (other than "
                                           f"{name}) found in the official data; check the members' names or "
                                           f"codes with 'scrutiny councils'", comparator)


def _sources_manifest_path() -> Path | None:
    p = paths.data_dir() / "sources.yml"
    if not p.exists():
        p = paths.PROJECT_ROOT / "data" / "sources.yml"
    return p if p.exists() else None


def _local_measures_path() -> Path:
    from ..loaders.local import default_measures_path
    return default_measures_path()
