"""The demo's status lines: alerts from Prometheus, and client and API counts taken at one instant."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from mlmon.demo.summary import alerts_line, consistent_snapshot, traffic_counts


def alert(state: str, name: str, **labels: str) -> dict:
    return {"state": state, "labels": {"alertname": name, **labels}}


def test_alerts_line_lists_firing_then_pending_by_rule():
    line = alerts_line(
        [
            alert("pending", "SchemaViolations", model_name="house_price", column=c)
            for c in ("condition", "year_built", "garage_spaces", "lot_size_sqft")
        ]
        + [
            alert(
                "firing", "DataDriftDetected", model_name="house_price", feature="living_area_sqft"
            )
        ]
    )
    assert line == (
        "  alerts firing: DataDriftDetected ×1 (house_price living_area_sqft) | pending: SchemaViolations ×4 "
        "(house_price condition, house_price garage_spaces, house_price lot_size_sqft, +1 more)"
    )
    assert alerts_line([]) == "  alerts pending or firing: none"


def stats(sent: int, **by_status: int) -> SimpleNamespace:
    return SimpleNamespace(
        requests_sent=sent,
        by_status={k.lstrip("_"): v for k, v in by_status.items()},
        predictions_accepted=by_status.get("_200", 0),
        feedback_sent=0,
        transport_errors=0,
    )


def test_the_snapshot_waits_until_no_request_is_in_flight():
    clients = stats(10, _200=9)  # one request not answered yet
    scrapes = []

    def answer_later():
        time.sleep(0.05)
        clients.by_status["200"] = 10
        clients.predictions_accepted = 10

    threading.Thread(target=answer_later).start()
    counts, api = consistent_snapshot(clients, lambda: scrapes.append(1) or {"served": 10})
    assert counts.in_flight == 0 and dict(counts.by_status) == {"200": 10}
    assert counts.line() == "10 requests (200:10), 10 predictions, 0 feedback"
    assert api == {"served": 10}


def test_a_snapshot_that_never_settles_says_what_is_in_flight():
    clients = stats(12, _200=9, _422=1)
    counts, _ = consistent_snapshot(clients, lambda: {}, tries=3)
    assert counts.in_flight == 2
    assert (
        counts.line()
        == "12 requests (200:9 422:1, 2 awaiting an answer), 9 predictions, 0 feedback"
    )
    assert traffic_counts(clients) == counts


def test_a_service_whose_port_was_taken_meanwhile_starts_on_another(tmp_path, monkeypatch):
    import socket
    import sys

    from mlmon.demo import services

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    # The race: the port looked free when picked, then another process bound it.
    picks = iter([taken])
    real_pick = services.pick_port
    monkeypatch.setattr(
        services, "pick_port", lambda preferred=0: next(picks, None) or real_pick(0)
    )

    def server(port: int) -> services.Service:
        return services.Service(
            "http.server",
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
            tmp_path / f"server-{port}.log",
            f"http://127.0.0.1:{port}/",
            cwd=tmp_path,
        )

    try:
        with services.ServiceGroup() as group:
            service, port = group.start_on_port(server, 8000)
            assert port != taken and group.services == [service]
            assert "Address already in use" in (tmp_path / f"server-{taken}.log").read_text()
    finally:
        busy.close()
