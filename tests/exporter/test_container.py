"""The exporter runs with only its own dependencies (exporter/requirements.txt), as in its container."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from tests.exporter.logdata import REGRESSION, write_log
from tests.support.processes import ROOT

EXPORTER = ROOT / "exporter"
REQUIREMENTS = EXPORTER / "requirements.txt"
DOCKERFILE = EXPORTER / "Dockerfile"


def _requirement_names() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in REQUIREMENTS.read_text().splitlines())
    return [re.split(r"[<>=!~;\[ ]", line, maxsplit=1)[0] for line in lines if line]


def _import_name(distribution: str) -> str:
    return distribution.replace("-", "_").lower()


def _module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level names imported when the module is imported (not inside functions, not under TYPE_CHECKING)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If) and not (
            isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
        ):
            pending.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend(
                node.body
                + node.orelse
                + node.finalbody
                + [s for h in node.handlers for s in h.body]
            )
    return found


def test_exporter_modules_import_only_the_standard_library_and_its_requirements():
    allowed = (
        set(sys.stdlib_module_names)
        | {"exporter"}
        | {_import_name(n) for n in _requirement_names()}
    )
    offenders = {}
    for path in sorted(EXPORTER.rglob("*.py")):
        outside = _module_level_imports(ast.parse(path.read_text(), str(path))) - allowed
        if outside:
            offenders[str(path.relative_to(ROOT))] = sorted(outside)
    assert offenders == {}, "the exporter's container has only exporter/requirements.txt installed"


def test_requirements_match_the_exporter_dependencies_of_pyproject():
    # the container pins exact versions (issue #12, D13); each must lie within pyproject's range
    import tomllib

    from packaging.requirements import Requirement

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    ranges = {
        Requirement(line).name: Requirement(line).specifier
        for line in pyproject["project"]["dependencies"]
    }
    for line in REQUIREMENTS.read_text().splitlines():
        if line and not line.startswith("#"):
            pinned = Requirement(line)
            (version,) = [spec.version for spec in pinned.specifier]
            if pinned.name in ranges:  # else a dependency of one (psycopg-binary, psycopg-pool)
                assert version in ranges[pinned.name], f"{line} is outside pyproject.toml's range"


def test_dockerfile_is_slim_pinned_non_root_and_health_checked():
    text = DOCKERFILE.read_text()
    base = re.search(r"^FROM\s+(\S+)", text, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1] not in {"root", "0"}
    healthcheck = re.search(r"^HEALTHCHECK (.*\\\n)*.*$", text, re.M).group(0)
    assert "/metrics" in healthcheck and "urllib" in healthcheck  # curl is not in the slim image
    assert re.search(r"^EXPOSE\s+8001\b", text, re.M)
    # the code's default address is 127.0.0.1: in the container Prometheus scrapes from another host
    for variable in (
        "PROMETHEUS_PORT=8001",
        "METRICS_DB_PATH=/app/data/metrics.db",
        "EXPORT_INTERVAL=30",
        "EXPORTER_BIND_ADDRESS=0.0.0.0",
    ):
        assert variable in text
    copies = re.findall(r"^COPY\s+(\S+)", text, re.M)
    assert copies and all(source.startswith("exporter") for source in copies)
    assert "pip install --no-cache-dir -r /app/requirements.txt" in text


def _distributions(names: list[str]) -> set[importlib.metadata.Distribution]:
    """The installed distributions ``names`` need, with their own (non-extra) dependencies."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = list(names)
    while pending:
        name = pending.pop().lower().replace("_", "-")
        if name in found:
            continue
        dist = found[name] = importlib.metadata.distribution(name)
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                pending.append(re.split(r"[<>=!~;\[ (]", requirement, maxsplit=1)[0])
    return set(found.values())


def _isolated_python(tmp_path: Path) -> Path:
    """A venv without system site-packages whose only third-party packages are the exporter's requirements.

    The packages are linked from this interpreter's installation instead of downloaded: no network needed.
    """
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False, symlinks=True).create(env_dir)
    packages = tmp_path / "packages"
    packages.mkdir()
    for dist in _distributions(_requirement_names()):
        for top in {Path(str(f)).parts[0] for f in dist.files or []} - {"..", "bin"}:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (packages / top).exists():
                (packages / top).symlink_to(source)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "exporter-requirements.pth").write_text(f"{packages}\n")
    return env_dir / "bin" / "python"


def test_exporter_runs_with_only_its_requirements_installed(tmp_path):
    python = _isolated_python(tmp_path)
    app = tmp_path / "app"
    shutil.copytree(
        EXPORTER, app / "exporter", ignore=shutil.ignore_patterns("__pycache__", "Dockerfile")
    )
    write_log(tmp_path / "log.db", current_rows=60).close()
    run = dict(capture_output=True, text=True, cwd=app, timeout=120)
    isolation = subprocess.run([str(python), "-s", "-E", "-c", "import yaml"], **run)
    assert isolation.returncode != 0, "the test venv must not see the development packages"
    result = subprocess.run(
        [str(python), "-s", "-E", "-m", "exporter", "--once", "--db", str(tmp_path / "log.db")],
        **run,
    )
    assert result.returncode == 0, result.stderr
    assert f'daily_predictions_total{{model_name="{REGRESSION}"}} 60.0' in result.stdout


def test_the_image_compiles_the_numba_loops_into_its_cache_while_it_is_built(tmp_path):
    text = DOCKERFILE.read_text()
    assert re.search(r"NUMBA_CACHE_DIR=/app/numba-cache\b", text)
    warm = 'RUN python -c "from exporter.compiled import warm_up; warm_up()"'
    assert warm in text and text.index(warm) > text.index("COPY exporter /app/exporter")
    # compiled while the image is built, then handed to the exporter's user: numba uses a cache
    # directory only where it can write
    handed = text.index("chown -R mlmon:mlmon /app/numba-cache", text.index(warm))
    assert text.index(warm) < handed < text.index("USER mlmon", text.index(warm))
    # what that step does: every compiled loop ends up in the cache, which the next process loads
    cache = tmp_path / "numba-cache"
    app = tmp_path / "app"
    shutil.copytree(
        EXPORTER, app / "exporter", ignore=shutil.ignore_patterns("__pycache__", "Dockerfile")
    )
    run = dict(capture_output=True, text=True, cwd=app, timeout=300)
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    script = "from exporter.compiled import warm_up; warm_up()"
    first = subprocess.run([sys.executable, "-c", script], env=environment, **run)
    assert first.returncode == 0, first.stderr
    cached = {
        path.name.split(".")[0] for path in cache.rglob("*.nbi")
    }  # kernels.merge_and_measure-93...
    assert cached == {"kernels", "json_columns", "performance"}
    assert not list((app / "exporter").rglob("*.nbi")), "the cache belongs in NUMBA_CACHE_DIR"
