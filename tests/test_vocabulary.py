"""The words users read about submissions are defined once (templates/labels.yaml) and complete."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from vision_report.core import vocabulary as vocab
from vision_report.core.vocabulary import Severity, Status
from vision_report.intake.files import Issue

ROOT = Path(__file__).resolve().parents[1]


def test_every_status_has_every_label():
    for status in Status:
        for form in ("short", "long", "explanation"):
            text = vocab.status_label(status, form)
            assert text.strip() and status.value not in text and not re.search(r"[a-z]+_[a-z]+", text), (status, form)
    for severity in Severity:
        assert vocab.severity_label(severity) and vocab.severity_label(severity, "long")


def test_short_labels_are_distinct():
    shorts = [vocab.status_label(s) for s in Status]
    assert len(set(shorts)) == len(shorts)


def test_a_missing_label_is_refused_naming_it(tmp_path):
    (tmp_path / "templates").mkdir()
    data = yaml.safe_load((ROOT / "templates" / "labels.yaml").read_text(encoding="utf-8"))
    del data["status"]["superseded"]["long"]
    del data["timeliness"]["late"]
    (tmp_path / "templates" / "labels.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(vocab.LabelsError) as err:
        vocab.labels(tmp_path)
    assert "status.superseded.long" in str(err.value) and "timeliness.late" in str(err.value)


def test_location_formats():
    at = Issue(
        Severity.ERROR, "value_not_number", "f.csv", "実績値「約40」を数値として読めません。", row=59, column="実績値"
    )
    assert vocab.location(59, "実績値") == "59行目・「実績値」列"
    assert vocab.location(59, None) == "59行目"
    assert vocab.location(None, None) == ""
    assert vocab.located_message(at) == "59行目・「実績値」列：実績値「約40」を数値として読めません。"
    whole = Issue(Severity.ERROR, "empty", "f.csv", "ファイルが空です。")
    assert vocab.located_message(whole) == "ファイルが空です。"


def test_status_counts_in_vocabulary_order():
    assert vocab.status_counts_text({"rejected": 3, "accepted": 17, "missing": 0}) == "受理 17、差戻し 3"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_each_status_label_is_written_once_in_the_code():
    """grep finds each user-facing status label in templates/labels.yaml only, not in Python or templates."""
    tracked = subprocess.run(
        ["git", "ls-files", "vision_report", "flows", "templates"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    sources = {p: (ROOT / p).read_text(encoding="utf-8") for p in tracked if p.endswith((".py", ".j2"))}
    for status in Status:
        for form in ("short", "long"):
            label = vocab.status_label(status, form)
            if label == "受理" or len(label) < 3:
                continue  # too short to be told from ordinary words (受理日時…)
            hits = [p for p, text in sources.items() if label in text]
            assert hits == [], (label, hits)


def test_a_project_whose_labels_predate_the_texts_section_gets_the_shipped_wording(tmp_path):
    """text_message falls back to the labels.yaml shipped with the package (the project root, two levels above
    vision_report/core/), not to a path inside the package."""
    import yaml

    from vision_report.core.vocabulary import text_message

    shipped = yaml.safe_load((ROOT / "templates" / "labels.yaml").read_text(encoding="utf-8"))
    del shipped["texts"]
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "labels.yaml").write_text(yaml.safe_dump(shipped, allow_unicode=True), encoding="utf-8")
    assert text_message("panel_near_miss", tmp_path, file="a.md", expected="b.md").startswith("a.md は名前が b.md と")


def test_the_project_named_with_root_gives_the_words_without_a_module_keeping_it(tmp_path, capsys):
    """`vision-report --root DIR` takes DIR's labels.yaml (the process's project, said once at its entry); loading
    another project's settings changes nothing in vocabulary (no module-level project, issue 22)."""
    from vision_report.cli import main
    from vision_report.core.config import load_settings

    project = tmp_path / "project"
    for part in ("config", "plans", "expectations", "templates"):
        shutil.copytree(ROOT / part, project / part)
    path = project / "templates" / "labels.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["location"]["row"] = "第{row}行"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    load_settings(project)  # no side effect on the words: the shipped project's stay in use here
    assert vocab.location(65, None) == "65行目"
    bad = Path(__file__).resolve().parent / "fixtures" / "submissions" / "bad" / "434337_value_not_number.csv"
    assert main(["--root", str(project), "check", str(bad), "--fiscal-year", "2024"]) == 1
    assert "  第65行・「実績値」列：実績値「約500」を数値として読めません。" in capsys.readouterr().out
