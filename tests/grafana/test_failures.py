"""Retries (5xx, 429, timeouts, connection errors), permanent failures and convergence."""

from __future__ import annotations

import json

import requests

from tests.grafana.fake_grafana import Fault


def test_500_then_429_then_timeout_are_retried_then_succeed(fake, tree, mlmon, sleeps, caplog):
    fake.fail(
        "POST",
        r"^/dashboards/db$",
        Fault(500),
        Fault(429, {"Retry-After": "7"}),
        Fault(raise_=requests.exceptions.ReadTimeout),
    )
    fake.fail("GET", r"^/health$", Fault(raise_=requests.exceptions.ConnectionError), Fault(503))
    result = mlmon("push", "--concurrency", "1")  # one dashboard meets the whole sequence
    assert result.code == 0, result.text
    assert len(fake.dashboards) == 3
    assert 7.0 in sleeps  # Retry-After honoured
    assert len(sleeps) == 5 and max(sleeps) <= 60
    # each retry is logged (stderr in the CLI) so a slow push explains itself
    assert "POST /api/dashboards/db answered 429; retry 2/3 in 7.0s" in caplog.text
    assert "failed (ReadTimeout)" in caplog.text


def test_4xx_is_not_retried(fake, tree, mlmon, sleeps):
    fake.fail("PUT", r"rule-groups", Fault(400))
    result = mlmon("push")
    assert result.code == 1
    assert sleeps == []
    assert sum(1 for m, p in fake.requests if m == "PUT") == 1
    assert (
        "rule group 'model-quality' in folder 'mlmon-alerts': Grafana refused it with 400"
        in result.out
    )


def test_permanent_500_fails_with_partial_report_and_rerun_converges(fake, tree, mlmon, sleeps):
    fake.fail(
        "POST", r"^/dashboards/db$", *[Fault(500)] * 4
    )  # the first dashboard exhausts its 4 attempts
    result = mlmon("push", "--concurrency", "1")
    assert result.code == 1
    assert "NOT applied (1):" in result.out
    assert "failed with 500" in result.out and "after 4 attempts" in result.out
    assert "applied (5):" in result.out  # 2 folders, 2 dashboards, 1 rule group
    assert len(fake.dashboards) == 2
    fake.reset_log()
    again = mlmon("push")
    assert again.code == 0, again.text
    assert len(fake.dashboards) == 3
    assert fake.writes() == [("POST", "/api/dashboards/db")]


def test_failed_folder_skips_its_dashboards(fake, tree, mlmon):
    fake.fail("POST", r"^/folders$", Fault(400))
    result = mlmon("push", "--concurrency", "1")
    assert result.code == 1
    assert (
        "skipped: dashboard mlmon-api 'API overview': its folder 'mlmon' could not be created"
        in result.out
    )
    assert fake.dashboards == {}


def test_unreachable_grafana_is_a_clear_error(fake, tree, mlmon, sleeps):
    fake.fail("GET", r"^/health$", *[Fault(raise_=requests.exceptions.ConnectionError)] * 4)
    result = mlmon("push")
    assert result.code == 1
    assert "cannot connect to Grafana at http://grafana.test:3000 after 4 attempts" in result.err
    assert sleeps == [0.5, 1.0, 2.0]


def test_url_that_is_not_grafana_is_reported(fake, tree, mlmon, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", "http://not-grafana.test")
    fake.mock.add(
        "GET",
        "http://not-grafana.test/api/health",
        body="<html>hello</html>",
        content_type="text/html",
    )
    result = mlmon("diff")
    assert result.code == 2  # GRAFANA_URL does not lead to a usable Grafana: configuration
    assert "http://not-grafana.test is not a Grafana" in result.err
    assert "GRAFANA_URL must be Grafana's root URL" in result.err


def test_404_on_health_means_wrong_url(fake, tree, mlmon, monkeypatch):
    monkeypatch.setenv("GRAFANA_URL", "http://other.test/grafana")
    fake.mock.add(
        "GET", "http://other.test/grafana/api/health", status=404, json={"error": "not found"}
    )
    result = mlmon("push")
    assert result.code == 2  # GRAFANA_URL does not lead to a usable Grafana: configuration
    assert "is not a Grafana: GET /api/health answered 404" in result.err


def test_write_applied_but_answer_lost_converges_without_false_conflict(fake, tree, mlmon, sleeps):
    assert mlmon("push").code == 0
    path = tree / "dashboards" / "mlmon-api.json"
    path.write_text(path.read_text().replace('n=\\"1\\"', 'n=\\"one\\"'))
    fake.fail("POST", r"^/dashboards/db$", Fault(502, after=True))
    result = mlmon("push")
    assert result.code == 0, result.text  # the retry's 412 is recognised as our own earlier write
    assert fake.dashboards["mlmon-api"]["meta"]["version"] == 2
    assert 'n=\\"one\\"' in json.dumps(fake.dashboards["mlmon-api"]["dashboard"])


def test_folder_created_but_answer_lost_is_not_an_error(fake, tree, mlmon, sleeps):
    fake.fail("POST", r"^/folders$", Fault(raise_=requests.exceptions.ReadTimeout, after=True))
    result = mlmon("push")
    assert result.code == 0, result.text
    assert {"mlmon", "mlmon-alerts"} <= set(fake.folders)


def test_too_old_grafana_is_refused(fake, tree, mlmon):
    fake.version = "8.5.2"
    result = mlmon("push")
    assert result.code == 2  # GRAFANA_URL does not lead to a usable Grafana: configuration
    assert "is version 8.5.2; mlmon needs 9.1 or newer" in result.err
    assert fake.writes() == []


def test_ctrl_c_reports_what_was_applied_and_rerun_finishes(fake, tree, mlmon):
    import signal

    # Ctrl-C reaches the main thread while a worker is sending the second dashboard
    fake.before_write["mlmon-drift"] = lambda: signal.raise_signal(signal.SIGINT)
    result = mlmon("push", "--concurrency", "1")
    assert result.code == 130
    assert "interrupted:" in result.err and "run the same command again" in result.err
    assert "created   dashboard mlmon-api" in result.out
    assert "total" in result.out  # the summary of what was done before the interrupt
    again = mlmon("push")
    assert again.code == 0, again.text
    assert set(fake.dashboards) == {"mlmon-api", "mlmon-drift", "mlmon-model"}
