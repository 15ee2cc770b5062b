"""`desktop-llm --self-test` as an installer or CI runs it: one JSON line, and an
exit status that names what failed."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_the_self_test_checks_resources_history_model_and_window(app_home):
    run = run_cli("--self-test", home=app_home, timeout=180)
    assert run.returncode == 0, run.stderr
    (line,) = run.stdout.splitlines()
    report = json.loads(line)
    assert report["ok"] and report["failed"] == []
    assert set(report["checks"]) == {"resources", "history", "model", "window"}
    assert report["checks"]["model"]["tokens"] and "opened and closed" in report["checks"]["window"]


def test_a_damaged_history_fails_the_self_test_and_says_so(app_home):
    (app_home / "data").mkdir(parents=True, exist_ok=True)
    (app_home / "data" / "history.db").write_bytes(b"this is not a database" * 100)
    run = run_cli("--self-test", home=app_home, timeout=180)
    report = json.loads(run.stdout)
    assert run.returncode == 1 and not report["ok"] and "history" in report["failed"]
    assert "model" not in report["failed"]  # the rest still checked
