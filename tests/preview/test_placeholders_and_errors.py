"""What the preview cannot draw is a labelled placeholder and a stderr line; bad input is a clear error."""

from __future__ import annotations

import json

import pytest

from mlmon.cli import main
from tests.support.processes import free_port


def dashboard(*panels: dict) -> dict:
    return {
        "uid": "hand-made",
        "title": "Hand made",
        "panels": list(panels),
        "templating": {"list": []},
    }


def panel(kind: str, title: str, y: int, **extra) -> dict:
    return {
        "type": kind,
        "title": title,
        "id": y + 1,
        "gridPos": {"x": 0, "y": y, "w": 12, "h": 6},
        **extra,
    }


def query(expr: str, **extra) -> dict:
    return {"refId": "A", "expr": expr, **extra}


@pytest.mark.prometheus
@pytest.mark.slow
def test_unsupported_panels_become_placeholders_listed_on_stderr(fed_prometheus, tmp_path, capsys):
    path = tmp_path / "hand-made.json"
    path.write_text(
        json.dumps(
            dashboard(
                panel("heatmap", "A heatmap", 0, targets=[query("up")]),
                panel(
                    "table",
                    "Pivoted",
                    6,
                    targets=[query("up", format="table", instant=True)],
                    transformations=[{"id": "groupingToMatrix", "options": {}}],
                ),
                panel("timeseries", "Undefined variable", 12, targets=[query('up{job="$nope"}')]),
                panel("timeseries", "Bad query", 18, targets=[query("sum(")]),
                panel(
                    "timeseries", "Nothing there", 24, targets=[query("no_such_metric_anywhere")]
                ),
                panel("stat", "Up", 30, targets=[query("count(up)")]),
                panel(
                    "row",
                    "Folded away",
                    36,
                    collapsed=True,
                    panels=[panel("timeseries", "Hidden inside", 37, targets=[query("up")])],
                ),
            )
        )
    )
    code = main(
        [
            "preview",
            str(path),
            "--prometheus",
            fed_prometheus.url,
            "--from",
            "2m",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    stderr = capsys.readouterr().err
    states = {
        p["title"]: (p["state"], p["message"])
        for p in json.loads((tmp_path / "out" / "preview.json").read_text())[0]["panels"]
    }

    assert code == 1  # two panels' queries failed
    assert states["A heatmap"][0] == "unsupported" and "'heatmap'" in states["A heatmap"][1]
    assert states["Pivoted"][0] == "unsupported" and "groupingToMatrix" in states["Pivoted"][1]
    assert states["Undefined variable"][0] == "error" and "$nope" in states["Undefined variable"][1]
    assert states["Bad query"][0] == "error" and "parse error" in states["Bad query"][1]
    assert states["Nothing there"] == ("no-data", "No data")
    assert states["Up"][0] == "ok"
    assert states["Folded away"][0] == "row"
    assert states["Hidden inside"] == ("collapsed", "inside the collapsed row 'Folded away'")
    page = (tmp_path / "out" / "hand-made.html").read_text()
    assert "Hidden inside" in page and 'data-state="collapsed"' not in page  # listed, not laid over
    for title in ("A heatmap", "Pivoted", "Undefined variable", "Bad query"):
        assert f"panel {title!r}" in stderr
    assert "Nothing there" not in stderr and "'Up'" not in stderr


def test_unreachable_prometheus_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(dashboard(panel("stat", "Up", 0, targets=[query("up")]))))
    url = f"http://127.0.0.1:{free_port()}"
    assert main(["preview", str(path), "--prometheus", url, "--out", str(tmp_path / "out")]) == 2
    assert f"cannot reach Prometheus at {url}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--var", "model"], "write NAME=VALUE"),
        (["--from", "yesterday-ish"], "cannot read the time 'yesterday-ish'"),
        (["--from", "now", "--to", "1h"], "is not before"),
        (["missing.json"], "missing.json: no such file or directory"),
    ],
)
def test_bad_input_names_what_to_fix(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.json").write_text(json.dumps(dashboard()))
    paths = [] if any(a.endswith(".json") for a in args) else ["d.json"]
    assert main(["preview", *paths, *args, "--prometheus", "http://127.0.0.1:9"]) == 2
    assert message in capsys.readouterr().err


def test_a_file_that_is_not_a_dashboard_is_named(tmp_path, capsys):
    (tmp_path / "rules.json").write_text(json.dumps({"groups": []}))
    assert (
        main(["preview", str(tmp_path / "rules.json"), "--prometheus", "http://127.0.0.1:9"]) == 2
    )
    assert f"{tmp_path / 'rules.json'}: not a Grafana dashboard" in capsys.readouterr().err


def test_help_describes_the_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["preview", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--prometheus" in out and "--var" in out and "--out" in out


def test_without_matplotlib_the_command_says_how_to_install_it(monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real(name, *a),
    )
    assert main(["preview", "--prometheus", "http://127.0.0.1:9"]) == 2
    assert "pip install 'mlmon[preview]'" in capsys.readouterr().err
