"""Hostile and unlucky files: YAML alias bombs and impossible dates in every
YAML the package reads, oversized and zip-bomb spreadsheets, symbolic links
under reports/."""

from __future__ import annotations

import time

import pytest

from helpers.errors import ConfigError

# 342 bytes: nine levels of nine aliases, 9**9 (387 million) strings expanded
ALIAS_BOMB = "\n".join(
    [f'a: &a [{", ".join(["lol"] * 9)}]']
    + [f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]) + "\n"


def _readers():
    from helpers.batch import runs_from_file
    from helpers.indicators import load_catalogue
    from helpers.local import load_targets
    from helpers.loaders.local import load_measures
    from helpers.neighbours import load_comparator_groups
    from helpers.sources import load_manifest
    return {"run file": runs_from_file, "targets file": load_targets, "comparator groups": load_comparator_groups,
            "catalogue": load_catalogue, "local measures": load_measures, "sources manifest": load_manifest}


@pytest.mark.parametrize("kind", ["run file", "targets file", "comparator groups", "catalogue", "local measures",
                                  "sources manifest"])
def test_alias_bomb_is_refused_at_once_in_every_yaml(tmp_path, kind):
    path = tmp_path / "bomb.yml"
    path.write_text(ALIAS_BOMB)
    t = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        _readers()[kind](path)
    assert time.perf_counter() - t < 2
    assert "bomb.yml" in str(err.value) and "alias" in str(err.value)


@pytest.mark.parametrize("kind,text,key", [
    ("run file", "runs:\n  - council: Devon\n    meeting_date: 2026-02-30\n", "runs[0].meeting_date"),
    ("targets file", "council: Devon\nreviewed: 2026-02-30\ntargets:\n  wf_caseload: 16\n", "reviewed"),
    ("comparator groups", "groups:\n  g:\n    members: [Devon]\n    label: 2026-02-30\n", "groups.g.label"),
])
def test_an_impossible_date_names_the_file_line_and_key(tmp_path, kind, text, key):
    path = tmp_path / "dates.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        _readers()[kind](path)
    msg = str(err.value)
    assert "dates.yml" in msg and key in msg and "2026-02-30" in msg and "not a real date" in msg


def test_yaml_anchors_used_sensibly_still_work(tmp_path):
    from helpers.batch import runs_from_file
    path = tmp_path / "runs.yml"
    path.write_text("runs:\n  - &devon {council: Devon, committee: Scrutiny}\n  - {<<: *devon, council: Dorset}\n")
    runs = runs_from_file(path)
    assert [(r.council, r.committee) for r in runs] == [("Devon", "Scrutiny"), ("Dorset", "Scrutiny")]


def test_recursive_alias_and_oversized_yaml_are_refused(tmp_path):
    from helpers.safe_yaml import MAX_YAML_BYTES, load_yaml_file
    loop = tmp_path / "loop.yml"
    loop.write_text("a: &a [*a]\n")
    with pytest.raises(ConfigError, match="inside the value it names"):
        load_yaml_file(loop)
    big = tmp_path / "big.yml"
    big.write_text("x: " + "y" * (MAX_YAML_BYTES + 10) + "\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_yaml_file(big, what="run file")


def test_sources_manifest_syntax_error_is_a_config_error(tmp_path):
    from helpers.render import _sources
    bad = tmp_path / "sources.yml"
    bad.write_text("sources:\n  - id: csww\n    title: [unclosed\n")
    _sources.cache_clear()
    with pytest.raises(ConfigError, match="sources.yml.*line"):
        _sources(str(bad))
