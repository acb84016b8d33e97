"""A council's own figures: decimal commas, implausible values, files for
another council, names in another case, several files for one council; and
what a pack's fingerprint depends on."""

from __future__ import annotations

import pytest

from helpers.errors import ParameterError


def _write(path, council, rows):
    path.write_text(f"# council: {council}\nmonth,measure,value,council\n"
                    + "".join(f"{m},{k},{v},{c}\n" for m, k, v, c in rows), encoding="utf-8")
    return path


def test_a_decimal_comma_is_refused_with_its_row_and_a_suggestion(tmp_path):
    from helpers.loaders.local import validate_local
    f = tmp_path / "devon.csv"
    f.write_text('# council: Devon\nmonth,measure,value\n2025-01,caseload_average,"15,5"\n'
                 '2025-02,referrals,"1,234"\n', encoding="utf-8")
    v = validate_local(f)
    assert [(p.row, p.column) for p in v.problems] == [(3, "value")]
    assert "decimal comma" in v.problems[0].message and "Write 15.5" in v.problems[0].hint


@pytest.mark.parametrize("measure,value,word", [("referrals", "9e307", "highest plausible"),
                                                ("caseload_average", "250", "highest plausible"),
                                                ("care_leavers_in_touch", "101", "percentage"),
                                                ("referrals", "-3", "negative")])
def test_implausible_local_values_are_refused(tmp_path, measure, value, word):
    from helpers.loaders.local import validate_local
    f = tmp_path / "devon.csv"
    f.write_text(f"# council: Devon\nmonth,measure,value\n2025-01,{measure},{value}\n", encoding="utf-8")
    v = validate_local(f)
    assert len(v.problems) == 1 and v.problems[0].row == 3 and word in v.problems[0].message


def test_a_file_for_another_council_is_refused(tmp_path):
    from helpers.local import load_council_figures
    f = _write(tmp_path / "figures.csv", "Cornwall", [("2025-01", "referrals", 10, "Cornwall")])
    with pytest.raises(ParameterError, match="holds figures for Cornwall, not Devon"):
        load_council_figures([f], "Devon")


def test_council_names_match_whatever_their_case_and_newest_months_win(tmp_path):
    from helpers.local import load_council_figures
    old = _write(tmp_path / "all_councils.csv", "", [("2024-11", "referrals", 50, "Devon"),
                                                     ("2024-12", "referrals", 51, "DEVON"),
                                                     ("2024-12", "referrals", 7, "Somerset")])
    new = _write(tmp_path / "local_devon.csv", "Devon County Council",
                 [("2024-12", "referrals", 61, "devon"), ("2025-01", "referrals", 62, "Devon")])
    rows = load_council_figures([old, new], "Devon")
    got = dict(zip(rows["month"].dt.strftime("%Y-%m"), rows["value"]))
    assert got == {"2024-11": 50.0, "2024-12": 61.0, "2025-01": 62.0}
    note = [w for w in rows.attrs["warnings"] if "both hold" in w]
    assert note and "all_councils.csv and local_devon.csv" in note[0] and "1 different" in note[0]


def test_targets_without_local_figures_are_an_error_before_anything_runs(real_store, tmp_path, monkeypatch):
    from helpers.build.plan import plan_pack
    monkeypatch.setenv("SCRUTINY_DATA_DIR", str(tmp_path))  # no data/local/ figures
    targets = tmp_path / "targets.yml"
    targets.write_text("targets:\n  wf_caseload: 16\n")
    with pytest.raises(ParameterError, match="no local performance section"):
        plan_pack(real_store, council="Dorset", period=None, comparator="statistical neighbours", committee="",
                  meeting_date="", sections=None, comparators_file=None, notebooks_dir=None,
                  reports_dir=tmp_path / "reports", local_figures="", targets_file=str(targets))


def test_a_comparator_group_with_no_member_in_the_data_is_an_error(real_store, tmp_path):
    from helpers.build.plan import plan_pack
    groups = tmp_path / "groups.yml"
    groups.write_text("groups:\n  welsh:\n    members: [Monmouthshire, Powys]\n")
    with pytest.raises(ParameterError, match="no member"):
        plan_pack(real_store, council="Dorset", period=None, comparator="welsh", committee="", meeting_date="",
                  sections=["workforce"], comparators_file=str(groups), notebooks_dir=None,
                  reports_dir=tmp_path / "reports", local_figures="", targets_file="")


def test_the_plan_passes_the_store_snapshot_to_every_notebook(real_store, tmp_path):
    from helpers.build.plan import plan_pack
    plan = plan_pack(real_store, council="Devon", period=None, comparator="statistical neighbours", committee="",
                     meeting_date="", sections=["summary", "workforce"], comparators_file=None, notebooks_dir=None,
                     reports_dir=tmp_path / "reports", local_figures="", targets_file="")
    assert plan.parameters["data"] == str(real_store.snapshot) == plan.local_parameters["data"]


def test_fingerprint_follows_content_per_publication_and_installed_files(real_store, tmp_path):
    from helpers.build.fingerprint import fingerprint, is_up_to_date
    from helpers.pack import discover_notebooks
    nbs = discover_notebooks()
    targets = tmp_path / "t.yml"
    targets.write_text("targets:\n  wf_caseload: 16\n")

    def fp(notebooks, store=real_store, files=None):
        return fingerprint(parameters={"council": "878"}, store=store, notebooks=notebooks, formats=("html",),
                           files=files or {"targets": targets}, pack_format="1")[0]

    workforce = {"workforce": nbs["workforce"]}
    first = fp(workforce)
    targets.write_text("targets:\n  wf_caseload: 14\n")   # same path, new content
    assert fp(workforce) != first
    # a new release of a publication the section does not show leaves it alone
    other = real_store.inputs.copy()
    other.loc[other["publication"] == "cin_c1", "sha256"] = "0" * 64
    changed = type(real_store)(**{**real_store.__dict__, "inputs": other})
    assert fp(workforce, changed) == fp(workforce)
    assert fp({"summary": nbs["summary"]}, changed) != fp({"summary": nbs["summary"]})
    # up to date only while the installed files match the manifest
    import json
    out = tmp_path / "pack"
    out.mkdir()
    (out / "pack.html").write_text("<html>whole pack</html>")
    from helpers.paths import file_sha256
    (out / "manifest.json").write_text(json.dumps({"fingerprint": "abc",
                                                   "files": {"pack.html": file_sha256(out / "pack.html")}}))
    assert is_up_to_date(out, "abc", ("html",))
    (out / "pack.html").write_text("<html>who")
    assert not is_up_to_date(out, "abc", ("html",))
