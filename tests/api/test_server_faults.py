"""The reference API as a real server on 127.0.0.1 under faults (issue 12): hard kills (D6),
client aborts (D7) and slow clients (D8). Bounded in count and time; every process is stopped."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.instrumentation import spill_path_for
from tests.api.conftest import VALID_HOUSE
from tests.support.processes import Process, free_port, python_process, wait_http_ok, wait_until

pytestmark = pytest.mark.slow

BODY = json.dumps(VALID_HOUSE).encode()


@contextlib.contextmanager
def api_server(tmp_path: Path, name: str = "api", **env: str) -> Iterator[tuple[Process, int]]:
    port = free_port()
    full_env = {"API_PORT": str(port), "METRICS_DB_PATH": str(tmp_path / "metrics.db"), **env}
    with python_process(["-m", "ml_api"], tmp_path / f"{name}.log", env=full_env) as api:
        wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=90, proc=api)
        yield api, port


def predict(port: int, count: int) -> list[str]:
    """``count`` predictions over one keep-alive connection; the request ids answered."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ids = []
    try:
        for _ in range(count):
            conn.request("POST", "/predict", BODY, {"content-type": "application/json"})
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, body
            ids.append(json.loads(body)["request_id"])
    finally:
        conn.close()
    return ids


def logged_ids(db: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(db, timeout=10)) as conn:
        return {r for (r,) in conn.execute("SELECT request_id FROM predictions")}


def spilled_rows(db: Path) -> int:
    path = spill_path_for(db)
    return path.read_bytes().count(b"\n") if path.exists() else 0


def metric(port: int, name: str, **labels: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


# --- D6: answered predictions survive a hard kill ---------------------------------


def test_a_kill_during_a_database_stall_loses_no_answered_prediction(tmp_path):
    db = tmp_path / "metrics.db"
    with api_server(tmp_path) as (api, port):
        blocker = sqlite3.connect(db, timeout=0)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock: commits hang
        try:
            answered = predict(port, 150)
            # The writer moves rows older than its age bound (0.5 s) to the spill file.
            with contextlib.suppress(TimeoutError):  # the assertion below says what was lost
                wait_until(lambda: spilled_rows(db) >= 150, 15, what="the rows to be spilled")
            api.popen.kill()  # SIGKILL: no shutdown hook runs
            api.popen.wait(10)
        finally:
            blocker.rollback()
            blocker.close()
    assert set(answered) - logged_ids(db)  # the stall was real: rows were not in the log itself

    with api_server(tmp_path, name="api-restarted"):  # replays the spill file at start
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: set(answered) <= logged_ids(db), 30, what="the rows replayed")
    lost = set(answered) - logged_ids(db)
    assert not lost, f"{len(lost)} of {len(answered)} answered predictions lost"
    assert not spill_path_for(db).exists()


def test_durable_mode_commits_before_answering_so_a_kill_loses_nothing(tmp_path):
    db = tmp_path / "metrics.db"
    with api_server(tmp_path, PREDICTION_LOG_DURABLE="1") as (api, port):
        answered = predict(port, 60)
        api.popen.kill()  # at once after the last answer
        api.popen.wait(10)

    assert set(answered) <= logged_ids(db)


# --- D7: a client that leaves mid-body is a client abort ----------------------------


def test_clients_disconnecting_mid_body_are_counted_as_499_not_500(tmp_path):
    with api_server(tmp_path) as (api, port):
        for _ in range(5):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                sock.sendall(
                    b"POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(BODY)}\r\n\r\n".encode()
                    + BODY[:10]
                )
                time.sleep(0.05)  # the request reaches the app, which waits for the rest
        wait_until(
            lambda: metric(port, "api_requests_total", endpoint="/predict", status="499") == 5,
            20,
            what="five client aborts counted",
        )
        errors = metric(port, "api_requests_total", status="500")
    assert errors == 0
    server_log = api.log_path.read_text()
    assert "Traceback" not in server_log and "ERROR" not in server_log, server_log


# --- D8: slow clients are cut off, concurrency is capped --------------------------------


def _all_closed_by_server(socks: list[socket.socket], within: float = 15.0) -> list[bool]:
    """For each socket, whether the server closed it (EOF or reset) before one shared deadline."""
    deadline = time.monotonic() + within
    closed = []
    for sock in socks:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        closed.append(_closed_by_server(sock))
    return closed


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server closes the connection (EOF or reset) within the socket's timeout."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def test_connections_that_never_finish_their_headers_are_closed(tmp_path):
    with api_server(tmp_path, API_HEADER_TIMEOUT="1") as (api, port):
        slow = []
        for i in range(30):  # bounded: 30 slowloris connections
            sock = socket.create_connection(("127.0.0.1", port), timeout=15)
            sock.sendall(b"POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\n")
            if i % 2:
                sock.sendall(b"x-slow: a")  # half a header line, never finished
            slow.append(sock)
        try:
            closed = _all_closed_by_server(slow)
        finally:
            for sock in slow:
                sock.close()
        assert predict(port, 3)  # the server still serves

    assert all(closed), closed.count(False)


def test_a_body_that_trickles_in_gets_408(tmp_path):
    with api_server(tmp_path, API_BODY_TIMEOUT="1") as (api, port):
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            sock.sendall(
                b"POST /predict HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                + f"content-length: {len(BODY)}\r\n\r\n".encode()
                + BODY[:10]
            )
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert metric(port, "api_requests_total", endpoint="/predict", status="408") == 1


def test_beyond_the_concurrency_limit_requests_get_503_until_idle_connections_are_closed(
    tmp_path,
):
    with api_server(tmp_path, API_LIMIT_CONCURRENCY="4", API_HEADER_TIMEOUT="2") as (api, port):
        idle = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(4)]
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            conn.request("GET", "/health")
            refused = conn.getresponse()
            refused.read()
            conn.close()
            assert refused.status == 503
            assert all(_all_closed_by_server(idle))  # the head deadline frees them
        finally:
            for sock in idle:
                sock.close()
        assert predict(port, 1)
