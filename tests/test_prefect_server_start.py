"""The run's own imports overlap the temporary Prefect server's start (issue 21: fixed cost), exactly once."""

from __future__ import annotations

from vision_report.operations import prefect_server
from vision_report.operations.prefect_server import TemporaryServer, prefect_api


def _fake_server(monkeypatch, waits: list[str | None], events: list[str]) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(prefect_server, "prepare_database", lambda home, timeout, log: events.append("database"))

    def spawn(self, migrate):
        events.append("spawn")
        self.port = 1

    def wait(self):
        events.append("wait")
        return waits.pop(0)

    monkeypatch.setattr(TemporaryServer, "_spawn", spawn)
    monkeypatch.setattr(TemporaryServer, "_wait", wait)
    monkeypatch.setattr(TemporaryServer, "stop", lambda self: events.append("stop"))


def test_imports_run_after_the_server_is_spawned_and_before_waiting_for_it(tmp_path, monkeypatch):
    events: list[str] = []
    _fake_server(monkeypatch, [None], events)
    with prefect_api(tmp_path, {}, log=lambda m: None, while_starting=lambda: events.append("imports")) as (url, srv):
        assert url == "http://127.0.0.1:1/api" and srv is not None
    assert events == ["database", "spawn", "imports", "wait", "stop"]


def test_a_retried_start_does_not_import_twice(tmp_path, monkeypatch):
    events: list[str] = []
    _fake_server(monkeypatch, ["応答しませんでした", None], events)
    with prefect_api(tmp_path, {}, log=lambda m: None, while_starting=lambda: events.append("imports")):
        pass
    assert events == ["database", "spawn", "imports", "wait", "stop", "spawn", "wait", "stop"]


def test_with_a_configured_server_the_imports_run_once_before_the_run(tmp_path, monkeypatch):
    events: list[str] = []
    monkeypatch.setattr(prefect_server, "healthy", lambda url, timeout=2.0: True)
    with prefect_api(
        tmp_path, {"api_url": "http://127.0.0.1:4200/api"}, while_starting=lambda: events.append("imports")
    ) as (url, srv):
        assert srv is None and url == "http://127.0.0.1:4200/api"
        events.append("run")
    assert events == ["imports", "run"]
