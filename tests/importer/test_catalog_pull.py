"""`mlmon catalog pull`: families, types, help and labels from a real Prometheus scraping a real target."""

from __future__ import annotations

import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from mlmon.dsl import query as q
from mlmon.errors import CatalogError
from tests.dashboards.support import mlmon
from tests.support.processes import Prometheus, free_port, scrape_config, wait_until


@pytest.fixture
def shop_metrics():
    """A real /metrics endpoint (prometheus_client) with families mlmon's exporter does not serve."""
    registry = CollectorRegistry()
    orders = Counter("shop_orders_total", "Orders placed.", ["region", "status"], registry=registry)
    latency = Histogram("shop_checkout_seconds", "Checkout latency.", ["region"], registry=registry)
    depth = Gauge("shop_queue_depth", "Jobs waiting.", ["queue"], registry=registry)
    orders.labels("eu", "ok").inc(3)
    latency.labels("eu").observe(0.2)
    depth.labels("mail").set(4)
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    yield port
    server.shutdown()
    thread.join(timeout=5)


def test_pull_declares_real_types_help_and_labels(tmp_path, monkeypatch, capsys, shop_metrics):
    monkeypatch.chdir(tmp_path)
    with Prometheus(
        scrape_config({"shop": f"127.0.0.1:{shop_metrics}"}), tmp_path / "prom"
    ) as prometheus:
        prometheus.wait_for_targets_up(1)
        wait_until(lambda: "shop_queue_depth" in prometheus.api("metadata"), 30, what="metadata")
        wait_until(lambda: prometheus.query("shop_checkout_seconds_bucket"), 30, what="series")
        code, out, err = mlmon(
            capsys, "catalog", "pull", "--prometheus", prometheus.url, "--match", "shop_.*"
        )
    assert code == 0, err
    assert "3 families added" in out
    families = yaml.safe_load((tmp_path / "catalog.yml").read_text())["families"]
    assert families["shop_orders_total"]["type"] == "counter"
    assert families["shop_orders_total"]["labels"] == ["region", "status"]
    assert families["shop_orders_total"]["help"] == "Orders placed."
    assert families["shop_checkout_seconds"] == {
        "type": "histogram",
        "help": "Checkout latency.",
        "labels": ["region"],
        "source": f"prometheus {prometheus.url}",
    }
    assert families["shop_queue_depth"]["type"] == "gauge" and families["shop_queue_depth"][
        "labels"
    ] == ["queue"]

    # The query DSL now knows them, labels included, and still catches typos.
    built = q.promql(
        "histogram_quantile(0.9, sum by (le, region) (rate(shop_checkout_seconds_bucket[5m])))"
    )
    assert "shop_checkout_seconds_bucket" in str(built)
    with pytest.raises(CatalogError, match="did you mean region"):
        q.promql("sum by (regoin) (rate(shop_orders_total[5m]))")
    code, out, _ = mlmon(capsys, "catalog", "list")
    assert "shop_queue_depth  gauge  {queue}" in out


def test_pull_from_nothing_says_so_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = mlmon(
        capsys,
        "catalog",
        "pull",
        "--prometheus",
        f"http://127.0.0.1:{free_port()}",
        "--timeout",
        "2",
    )
    assert code == 1 and "cannot reach" in err and "nothing was written" in err
    assert not (tmp_path / "catalog.yml").exists()
