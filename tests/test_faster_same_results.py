"""issue 21: steps of screening and feedback done another way at scale, with the same results — GX 1.x's failing rows
listed a column at a time instead of a cell at a time (``gx_indices``); an expectation's configuration built with its
long value sets copied whole instead of value by value (``validation._built``); a failing row read with the columns
its issue names (``issues._fields_named``); a file's rows read for its feedback with the columns the feedback
reads (``feedback._READ_FROM_ROWS``)."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.test_validation import _screen_fixtures_again
from vision_report.screening import gx_indices, issues, screen, validation

ROOT = Path(__file__).resolve().parents[1]

FORMAT = {"result_format": "COMPLETE", "unexpected_index_column_names": ["row_key"]}


def _gx_own(frame: pd.DataFrame, domain: list, result_format: dict = FORMAT):
    from great_expectations.expectations.metrics.util import compute_unexpected_pandas_indices

    metrics = {"table.columns": list(frame.columns)}
    return compute_unexpected_pandas_indices(
        domain_records_df=frame,
        expectation_domain_column_list=domain,
        result_format=result_format,
        execution_engine=None,
        metrics=metrics,
    )


def _failing_rows() -> pd.DataFrame:
    """The failing rows of a batch (every other row: the index is not 0..n-1) of every kind of column."""
    whole = pd.DataFrame(
        {
            "row_key": [f"r{i}" for i in range(8)],
            "value": [1.5, np.nan, 3.0, 4.0, -1.0, 0.0, 2.5, 9.0],
            "count": np.arange(8, dtype="int64"),
            "flag": [True, False] * 4,
            "maybe": pd.array([1, None, 3, None, 5, 6, None, 8], dtype="Int64"),
            "text": pd.array(["a", None, "c", "d", "e", "f", "g", "h"], dtype="string"),
            "when": pd.date_range("2025-04-01", periods=8, freq="D"),
            "grade": pd.Categorical(list("ABCDABCD")),
            "mixed": ["x", 1, None, 2.5, "y", True, "z", 0],
        }
    )
    return whole[[i % 2 == 1 for i in range(8)]]


def _same(a, b) -> bool:
    """The same lists of dicts: keys in the same order, each value of the same type and equal (NaN, NA included)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if list(x) != list(y):
            return False
        for k in x:
            u, v = x[k], y[k]
            if type(u) is not type(v) or not (u is v or u == v or (pd.isna(u) and pd.isna(v))):
                return False
    return True


@pytest.mark.parametrize(
    "domain",
    [["value"], ["count"], ["flag"], ["maybe"], ["text"], ["when"], ["grade"], ["mixed"], ["value", "text"],
     ["row_key"], ["text", "row_key", "count"]],
)  # fmt: skip
def test_the_failing_rows_are_listed_as_gx_lists_them(domain):
    frame = _failing_rows()
    mine = gx_indices.unexpected_index_list(frame, domain, FORMAT, {"table.columns": list(frame.columns)})
    assert mine is not None and len(mine) == 4
    assert _same(mine, _gx_own(frame, domain))
    assert [row["row_key"] for row in mine] == ["r1", "r3", "r5", "r7"]


def test_no_failing_rows_is_an_empty_list_and_an_unknown_index_column_is_gxs_error():
    frame = _failing_rows()
    columns = {"table.columns": list(frame.columns)}
    assert gx_indices.unexpected_index_list(frame.iloc[0:0], ["value"], FORMAT, columns) == []
    assert _gx_own(frame.iloc[0:0], ["value"]) == []
    unknown = {**FORMAT, "unexpected_index_column_names": ["no_such_column"]}
    with pytest.raises(Exception) as gx_error:
        _gx_own(frame, ["value"], unknown)
    with pytest.raises(type(gx_error.value), match="no_such_column"):
        gx_indices.unexpected_index_list(frame, ["value"], unknown, columns)


def test_the_cases_validation_does_not_ask_for_are_left_to_gx():
    frame = _failing_rows()
    columns = {"table.columns": list(frame.columns)}
    cases = [
        (frame.set_index("row_key"), FORMAT),  # a named index
        (frame, {"result_format": "COMPLETE"}),  # no index columns named
        (frame, {**FORMAT, "exclude_unexpected_values": True}),
        (pd.concat([frame, frame]), FORMAT),  # an index with repeats
    ]
    for df, result_format in cases:
        assert gx_indices.unexpected_index_list(df, ["value"], result_format, columns) is None
    assert gx_indices.unexpected_index_list(frame, [], FORMAT, columns) is None


def test_a_configuration_with_a_long_value_set_is_built_as_gx_builds_it_and_the_field_is_left_in_place():
    import great_expectations as gx

    def gx_built(expectation):  # outside a validation, a read is GX's own build
        assert validation._CONFIGURATIONS.get() is None
        return expectation.configuration

    keys = [f"4310{i:02d}|{j}" for i in range(40) for j in range(30)]
    for value_set in (keys, set(keys), tuple(keys), [*keys[:10], 3, 2.5, None, True]):
        exp = gx.expectations.ExpectColumnValuesToBeInSet(
            column="participation_key", value_set=value_set, row_condition=None, meta={"rule": "r"}, mostly=0.5
        )
        before = exp.value_set
        fast, own = validation._built(gx_built, exp), gx_built(exp)
        assert exp.value_set is before
        assert fast.to_json_dict() == own.to_json_dict()
        assert type(fast.kwargs["value_set"]) is type(own.kwargs["value_set"])
        assert list(fast.kwargs["value_set"]) == list(own.kwargs["value_set"])
        assert list(fast.kwargs) == list(own.kwargs)  # the kwargs in GX's order
        assert fast.kwargs["value_set"] is not before  # a copy, as GX's


def test_a_year_of_fixtures_gives_the_same_findings_in_the_same_order_either_way(plan, tmp_path, monkeypatch):
    seen: list[list] = []
    validate = screen.validate

    def recorded(expectations, name, df, parameters):
        findings, summary = validate(expectations, name, df, parameters)
        seen.append([name, findings, summary])
        return findings, summary

    monkeypatch.setattr(screen, "validate", recorded)
    fast = _screen_fixtures_again(plan, tmp_path / "fast")
    fast_seen, seen[:] = list(seen), []
    monkeypatch.setattr(validation, "indices_read_by_column", nullcontext)
    monkeypatch.setattr(validation, "_built", lambda built, expectation: built(expectation))
    own = _screen_fixtures_again(plan, tmp_path / "own")
    assert fast_seen == seen and sum(len(f) for _, f, _ in seen) > 100
    assert [(r.name, r.status, r.issues) for r in fast.received] == [(r.name, r.status, r.issues) for r in own.received]


def test_a_stored_result_is_read_back_with_its_failing_rows_keys_in_the_order_of_gxs_json():
    """validation._as_read_back: GX's Data Docs name a multi-column expectation's values in the order of a set of a
    failing row's keys; read back from GX's JSON the keys are sorted, and so are the kept objects'."""
    import json
    from types import SimpleNamespace

    rows = [{"kind": "expenditure", "row_key": "5:4", "file_id": "5", "item_id": "1.1.3"}] * 2
    result = SimpleNamespace(
        results=[
            SimpleNamespace(result={"unexpected_index_list": list(rows), "partial_unexpected_index_list": rows[:1]}),
            SimpleNamespace(result={"unexpected_index_list": ["3", "4"]}),  # indices without names: as they are
            SimpleNamespace(result=None),
        ]
    )
    validation._as_read_back(result)
    read = result.results[0].result
    json_order = list(json.loads(json.dumps(rows[0], sort_keys=True)))
    assert json_order == ["file_id", "item_id", "kind", "row_key"]
    assert [list(r) for r in read["unexpected_index_list"] + read["partial_unexpected_index_list"]] == [json_order] * 3
    assert read["unexpected_index_list"][0] == rows[0]
    assert result.results[1].result == {"unexpected_index_list": ["3", "4"]}


def test_failing_rows_read_with_the_columns_their_issues_name_give_the_same_issues(plan, tmp_path, monkeypatch):
    """issues._fields_named: findings_to_issues reads a failing row's columns that the issue texts, the value
    column and the code name (not all 67). Every fixture gets the same issues, in the same order, as with every
    column read."""
    from tests.test_validation import FIX

    named = issues._fields_named
    seen: list[frozenset] = []

    def recorded(metas):
        seen.append(named(metas))
        return seen[-1]

    monkeypatch.setattr(issues, "_fields_named", recorded)
    few = _screen_fixtures_again(plan, tmp_path / "few")
    assert seen and all({"value_raw", "file", "row", "item_id"} <= s for s in seen)
    monkeypatch.setattr(issues, "_fields_named", lambda metas: _Everything())
    every = _screen_fixtures_again(plan, tmp_path / "every")
    assert [(r.name, r.status, r.issues) for r in few.received] == [
        (r.name, r.status, r.issues) for r in every.received
    ]
    assert sum(len(r.issues) for r in few.received) > 100 and len(list((FIX / "bad").iterdir())) > 20


class _Everything(frozenset):
    def __contains__(self, item) -> bool:
        return True


def test_the_names_an_issue_reads_come_from_its_texts_placeholders_and_value_column():
    metas = [
        {"message_ja": "{item_id} の {value_fmt} は {limit:,} を超えています。{extra[0]}", "value_column": "amount"},
        {"message_ja": "固定の文", "expected_ja": "{unit_ja}で", "column_ja": "{column_name}"},
    ]
    names = issues._fields_named(metas)
    assert {"item_id", "value_fmt", "limit", "extra", "amount", "unit_ja", "column_name"} <= names
    assert {"value_raw", "value_date_serial", "file_id", "file", "row", "kind"} <= names  # the value problems', code's


def test_the_feedback_reads_each_files_rows_with_the_columns_it_uses_and_says_the_same(plan, tmp_path, monkeypatch):
    """feedback.feedbacks keeps the prepared rows' columns that missing_results, unfilled_counts and
    accepted_summary read (a file's rows are filtered five times): every feedback is the same text as with all
    columns kept."""
    import dataclasses

    from vision_report.core.vocabulary import ACCEPTED_STATUSES
    from vision_report.outputs import feedback

    screened = _screen_fixtures_again(plan, tmp_path)
    by_code: dict[str, list] = {}
    for r in screened.received:
        by_code.setdefault(r.municipality_code or "", []).append(r)
    mains = [feedback.submission_of(sorted(recs, key=lambda r: (r.mtime or 0, r.name))) for recs in by_code.values()]
    accepted = {r.file_id for r in mains if r is not None and r.status in ACCEPTED_STATUSES}
    rows = screened.rows.copy()
    spent = rows.index[rows["file_id"].isin(accepted) & (rows["kind"] == "expenditure")]
    assert len(spent) > 10
    rows.loc[spent[:4], ["result_text", "result_text_ok"]] = ["", False]  # 実施 without 取組実績
    rows.loc[spent[2:6], "self_evaluation"] = ""  # 自己評価 left blank
    year = dataclasses.replace(screened, rows=rows)
    templates = ROOT / "templates"
    few = feedback.feedbacks(plan, 2024, templates, year)
    assert few != feedback.feedbacks(plan, 2024, templates, screened)  # the blanks are told
    monkeypatch.setattr(feedback, "_READ_FROM_ROWS", _Everything())
    assert few == feedback.feedbacks(plan, 2024, templates, year)
    assert len(few) >= len(plan.members(2024))


def _suite_dir(tmp_path: Path) -> Path:
    import json

    suite = {
        "expectations": [
            {
                "severity": "warning",
                "meta": {"rule": "r", "message_ja": "{item_id} は {value_raw}", "column_ja": "{col}"},
            },
            {"meta": {"rule": "e", "message_ja": "{item_id} が誤り", "expected_ja": "{value_raw} 以外"}},
            {"meta": {"rule": "g", "aggregate": True, "message_ja": "{count} 件が足りません: {items}"}},
        ]
    }
    (tmp_path / "s.json").write_text(json.dumps(suite, ensure_ascii=False), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("limit", [0, 1, 2, 20])
def test_only_the_issues_the_cap_shows_read_their_rows_and_the_issues_are_the_same(tmp_path, monkeypatch, limit):
    """issues._told: with at most ``limit`` issues per file and rule shown, the rows of the others (counted in
    「…ほか N 件」) are not read; the issues are those of reading every row, in the same order."""
    from vision_report.screening.validation import Finding

    n = 9
    table = pd.DataFrame(
        {
            "row_key": [f"{f}:{r}" for f in (1, 2) for r in range(n)],
            "file_id": [f for f in (1, 2) for _ in range(n)],
            "file": [f"{f}_町.csv" for f in (1, 2) for _ in range(n)],
            "row": [r + 2 for _ in (1, 2) for r in range(n)],
            "item_id": [f"1.{r}" for _ in (1, 2) for r in range(n)],
            "item_name": [f"取組{r}" for _ in (1, 2) for r in range(n)],
            "value_raw": [str(r * 10) for _ in (1, 2) for r in range(n)],
            "col": [f"列{r}" for _ in (1, 2) for r in range(n)],
        }
    )
    findings = [Finding("s", "r", "warning", f"1:{r}") for r in range(7)]  # file 1: 7 warnings
    findings += [Finding("s", "e", "critical", f"2:{r}") for r in (5, 1, 3)]  # file 2: 3 errors, not in row order
    findings += [Finding("s", "g", "critical", f"1:{r}") for r in (8, 7)]  # one gathered issue
    findings += [Finding("s", "r", "warning", "1:0"), Finding("s", "r", "warning", "2:0")]  # a repeat; file 2
    read: list[int] = []
    rows_by_key = issues.rows_by_key

    def counted(frame):
        read.append(len(frame))
        return rows_by_key(frame)

    expectations = _suite_dir(tmp_path)
    params = {"max_messages_per_rule": limit}
    monkeypatch.setattr(issues, "rows_by_key", counted)
    capped = issues.findings_to_issues(findings, table, expectations, 2024, params)
    capped_reads, read[:] = sum(read), []
    monkeypatch.setattr(issues, "_told", lambda kept, places, metas, limit: [True] * len(kept))
    every = issues.findings_to_issues(findings, table, expectations, 2024, params)
    assert capped == every
    assert [i.message for i in every[1] if i.rule == "g"] == ["2 件が足りません: 1.8 取組8、1.7 取組7"]
    if limit in (1, 2):
        shown = limit + 1  # the first ``limit`` and the last (its column goes into 「…ほか N 件」)
        assert capped_reads == shown + min(3, shown) + 2 + 1 and sum(read) == 7 + 3 + 2 + 1
        assert [i.message for i in capped[1] if i.rule == "r"][-1].startswith(f"…ほか {7 - limit} 件")
    else:
        assert capped_reads == sum(read) == 7 + 3 + 2 + 1


def test_a_text_with_nothing_to_change_is_made_safe_as_the_whole_way_makes_it():
    """textsafe.make_safe: a text with no Excel escape, no line break but LF, no character XML cannot carry and
    already NFC is told so by one search (3 million cells at 1,741 submissions); every text gets what the whole way
    gives it, with and without line breaks kept."""
    import random

    from vision_report.core import textsafe

    pieces = [
        "a",
        "1",
        "熊本",
        "ガ",
        "カ\u3099",
        "Ａ",
        "_x",
        "_x000B_",
        "_x005F_x",
        "x_",
        "\n",
        "\r\n",
        "\r",
        "\t",
        " ",
    ]
    pieces += [
        "\x0b",
        "\u2028",
        "\u2029",
        "\x85",
        "\x00",
        "\x0c",
        "\x1f",
        "\x7f",
        "\x9f",
        "\ufffe",
        "\ud800",
        "é",
        "e\u0301",
    ]
    pieces += ["葛\U000e0100", "👨‍👩‍👧", "▲1,234", "－"]
    rng = random.Random(21)
    texts = ["", None, 12, 3.5, *pieces]
    texts += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(4000)]
    for text in texts:
        for breaks in (True, False):
            whole = textsafe._made_safe("" if text is None else str(text), breaks)
            assert textsafe.make_safe(text, line_breaks=breaks) == whole, (text, breaks)
    assert textsafe.make_safe("熊本市") is textsafe.make_safe("熊本市")  # the same unchanged text, one Safe


def _same_values(a: dict, b: dict) -> bool:
    """The same keys in the same order, each value of the same type and equal (NaN and NA equal to themselves)."""
    if list(a) != list(b):
        return False
    for key in a:
        if list(a[key]) != list(b[key]):
            return False
        for name, u in a[key].items():
            v = b[key][name]
            if type(u) is not type(v) or not (u is v or (pd.isna(u) and pd.isna(v)) or u == v):
                return False
    return True


def test_failing_rows_are_read_as_pandas_to_dict_reads_them(plan, tmp_path):
    """issues.rows_by_key gives what ``DataFrame.to_dict("index")`` gives, value by value and type by type: for a
    frame of every kind of column and for the prepared rows of every fixture."""
    frame = _failing_rows().set_index("row_key", drop=False)
    frame["obj_num"] = pd.Series([np.int64(3), np.float64(2.5), "x", None], index=frame.index, dtype=object)
    frame["floats"] = [0.1, np.nan, 3.0, -2.0]
    frame["str_nan"] = pd.Series(["a", np.nan, "", "b"], index=frame.index, dtype="str")
    frame["string_na"] = pd.Series(["a", None, "", "b"], index=frame.index, dtype="string")
    for part in (frame, frame.iloc[0:0], frame[[]], frame[["value", "obj_num"]]):
        assert _same_values(issues.rows_by_key(part), part.to_dict("index"))
    prepared = _screen_fixtures_again(plan, tmp_path).rows.set_index("row_key", drop=False)
    assert len(prepared) > 100 and len(prepared.columns) > 50
    assert _same_values(issues.rows_by_key(prepared), prepared.to_dict("index"))
    with pytest.raises(ValueError, match="unique"):
        issues.rows_by_key(pd.concat([frame, frame]))


def test_the_project_follows_vision_report_home_as_it_changes(tmp_path, monkeypatch):
    """core.paths.find_root resolves an absolute $VISION_REPORT_HOME once per value (issue 21: the words of every
    message are looked up through it): a new value is a new project, a link is followed, a relative value is read
    against the working directory of the moment."""
    from vision_report.core import paths

    a, b = tmp_path / "a", tmp_path / "b"
    for p in (a, b, a / "sub"):
        p.mkdir()
    (tmp_path / "link").symlink_to(a)
    for value, expected in ((str(a), a), (str(b), b), (str(tmp_path / "link"), a), (str(a), a)):
        monkeypatch.setenv(paths.ENV_ROOT, value)
        assert paths.find_root() == expected.resolve()
    monkeypatch.setenv(paths.ENV_ROOT, "sub")
    monkeypatch.chdir(a)
    assert paths.find_root() == (a / "sub").resolve()
    monkeypatch.chdir(b)
    assert paths.find_root() == (b / "sub").resolve()


def test_the_rows_of_several_files_make_the_frame_their_own_frames_make_joined():
    """intake.rows.rows_frame makes the year's raw rows once (issue 21) instead of a frame per file joined with
    pd.concat: the same frame, dtypes included, for files with and without the optional columns, an .xlsx's
    scaled and date cells, and files without rows (every file read has a municipality code: one without is refused
    by its name, and pd.concat would keep its None where one frame makes a text column)."""
    from vision_report.intake.files import Received
    from vision_report.intake.reading import Table
    from vision_report.intake.rows import rows_frame, table_to_columns

    plain = Table([["区分", "ID", "実績値", "単位"], ["事業費", "1.1.1", "10", "千円"], ["KPI", "K1", "5", "人"]])
    rich = Table(
        [
            ["区分", "ID", "実績値", "単位", "取組実績", "自己評価", "備考"],
            ["事業費", "1.1.2", "1,433", "千円", "開催した", "A", "=1+1"],
            ["事業費", "1.1.3", "1900/3/1", "千円", "", "b", ""],
        ]
    )
    rich.scaled[(1, 2)] = ("#,##0,", 1000)
    rich.date_serials[(2, 2)] = "61"
    empty = Table([["区分", "ID", "実績値", "単位"]])
    parts = [
        table_to_columns(Received(k, f"43{k}_x.csv", Path("x.csv"), 2024, f"43{k:04d}"), t)
        for k, t in enumerate((plain, rich, empty, plain))
    ]
    assert parts[2] is None
    alone = [rows_frame([p]) for p in parts]
    joined = pd.concat([f for f in alone if not f.empty], ignore_index=True)
    pd.testing.assert_frame_equal(rows_frame(parts), joined)
    assert rows_frame([None]).empty and list(rows_frame([None]).columns) == list(joined.columns)
