"""The images compose builds: pinned base, non-root, health check, no secrets, and a CMD that really serves.

No Docker engine runs here, so the container contract is checked by running
each image's CMD with the image's ENV on the host (only host, port and the
database path are redirected to 127.0.0.1, a free port and a temporary
directory) and then running the image's and compose's health checks against it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.stack import dockerfile
from tests.stack.stack_files import STACK, raw_compose
from tests.support.processes import IN_CI, ROOT, Process, free_port, wait_until

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL", re.I)

# How to run each image's CMD on this machine instead of in a container.
LOCAL_OVERRIDES = {
    "ml-api": lambda port: {"API_HOST": "127.0.0.1", "API_PORT": str(port)},
    "model-exporter": lambda port: {
        "EXPORTER_BIND_ADDRESS": "127.0.0.1",
        "PROMETHEUS_PORT": str(port),
    },
}


def built_services() -> dict[str, Path]:
    """service -> Dockerfile, for every service compose builds."""
    services = {}
    for name, spec in raw_compose()["services"].items():
        if "build" in spec:
            context = (STACK / spec["build"]["context"]).resolve()
            services[name] = context / spec["build"].get("dockerfile", "Dockerfile")
    return services


BUILT = built_services()


@pytest.fixture(params=sorted(BUILT))
def image(request: pytest.FixtureRequest) -> tuple[str, Path, list[dockerfile.Instruction]]:
    name, path = request.param, BUILT[request.param]
    if not path.exists():
        reason = f"{path.relative_to(ROOT)} (built by compose service {name!r}) does not exist yet"
        if IN_CI:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return name, path, dockerfile.parse(path)


def test_compose_builds_both_images_from_the_repository_root() -> None:
    assert set(BUILT) == {"ml-api", "model-exporter"}
    assert {path.relative_to(ROOT).as_posix() for path in BUILT.values()} == {
        "ml_api/Dockerfile",
        "exporter/Dockerfile",
    }


def test_base_images_are_pinned(image) -> None:
    name, path, instructions = image
    stages = set()
    for instruction in (i for i in instructions if i.keyword == "FROM"):
        words = [w for w in instruction.args.split() if not w.startswith("--")]
        base = words[0]
        if len(words) >= 3 and words[1].upper() == "AS":
            stages.add(words[2])
        if base in stages or base == "scratch":
            continue
        tag = base.rsplit("@", 1)[0].rpartition(":")[2] if ":" in base.split("/")[-1] else ""
        assert "@sha256:" in base or (re.search(r"\d+\.\d+", tag) and tag != "latest"), (
            f"{path}:{instruction.line}: base image {base!r} is not pinned to a version"
        )


def test_runs_as_a_non_root_user(image) -> None:
    name, path, instructions = image
    user = dockerfile.last(instructions, "USER")
    assert user is not None, f"{path}: no USER instruction, the container would run as root"
    assert user.args.split(":")[0] not in {"root", "0"}, (
        f"{path}:{user.line}: USER {user.args} is root"
    )
    # Nothing runs as root after the switch (a later USER root would undo it).
    assert instructions.index(user) > max(
        i for i, ins in enumerate(instructions) if ins.keyword == "RUN"
    )


def test_has_a_health_check(image) -> None:
    name, path, instructions = image
    assert dockerfile.healthcheck_command(instructions), f"{path}: no HEALTHCHECK"


def test_exposes_the_port_compose_publishes(image) -> None:
    name, path, instructions = image
    published = raw_compose()["services"][name]["ports"]
    container_ports = {str(p).rsplit(":", 1)[1] for p in published}
    exposed = {
        word.split("/")[0] for i in instructions if i.keyword == "EXPOSE" for word in i.args.split()
    }
    assert container_ports <= exposed, (
        f"{path}: EXPOSE {exposed} but compose publishes {container_ports}"
    )


def test_no_secrets_are_baked_in(image) -> None:
    name, path, instructions = image
    for instruction in instructions:
        if instruction.keyword in {"ENV", "ARG"}:
            for pair in instruction.args.split():
                key, _, value = pair.partition("=")
                assert not (SECRET_NAME.search(key) and value), (
                    f"{path}:{instruction.line}: secret in {pair!r}"
                )
        if instruction.keyword in {"COPY", "ADD"}:
            sources = [w for w in instruction.args.split() if not w.startswith("--")][:-1]
            # Copying the whole context would put stack/.env (the Grafana password) into the image.
            assert "." not in sources and "./" not in sources, (
                f"{path}:{instruction.line}: {instruction.keyword} of the whole build context"
            )
            assert not any(".env" in source for source in sources), (
                f"{path}:{instruction.line}: copies an .env file"
            )


def _local_command(argv: list[str], port: int, container_port: int) -> list[str]:
    argv = [sys.executable if word in {"python", "python3"} else word for word in argv]
    return [word.replace(f":{container_port}/", f":{port}/") for word in argv]


def test_cmd_serves_and_the_health_checks_pass(image, tmp_path: Path) -> None:
    name, path, instructions = image
    compose_spec = raw_compose()["services"][name]
    container_port = int(str(compose_spec["ports"][0]).rsplit(":", 1)[1])
    port = free_port()
    env = {
        **dockerfile.env(instructions),
        **LOCAL_OVERRIDES[name](port),
        "METRICS_DB_PATH": str(tmp_path / "data" / "metrics.db"),
    }
    (tmp_path / "data").mkdir()
    cmd = dockerfile.last(instructions, "CMD")
    assert cmd is not None, f"{path}: no CMD"
    checks = {
        "Dockerfile HEALTHCHECK": dockerfile.healthcheck_command(instructions),
        "compose healthcheck": compose_spec["healthcheck"]["test"][1:],
    }
    with Process(
        _local_command(dockerfile.exec_form(cmd.args), port, container_port),
        tmp_path / f"{name}.log",
        env=env,
    ) as process:
        for what, check in checks.items():

            def healthy() -> bool:
                process.check_alive()
                # Health checks run inside the container, with its environment.
                return (
                    subprocess.run(
                        _local_command(check, port, container_port),
                        capture_output=True,
                        timeout=10,
                        env={**os.environ, **env},
                    ).returncode
                    == 0
                )

            wait_until(healthy, timeout=90, interval=0.5, what=f"{name}'s {what} to pass")


def test_copied_files_exist_in_the_build_context(image) -> None:
    name, path, instructions = image
    context = (STACK / raw_compose()["services"][name]["build"]["context"]).resolve()
    for instruction in (i for i in instructions if i.keyword in {"COPY", "ADD"}):
        words = [w for w in instruction.args.split() if not w.startswith("--")]
        if any(w.startswith("--from") for w in instruction.args.split()):
            continue  # from another build stage
        for source in words[:-1]:
            assert (context / source).exists(), (
                f"{path}:{instruction.line}: {source} is not in the build context"
            )


def test_the_api_image_copies_everything_the_package_build_reads() -> None:
    """`pip install '.[api]'` in the image needs pyproject's readme and every package it installs."""
    instructions = dockerfile.parse(BUILT["ml-api"])
    copied = {
        w.rstrip("/")
        for i in instructions
        if i.keyword == "COPY"
        for w in [w for w in i.args.split() if not w.startswith("--")][:-1]
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        pattern.rstrip("*")
        for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert {"pyproject.toml", project["project"]["readme"], *packages} <= copied
    assert any(i.keyword == "RUN" and "pip install '.[api]'" in i.args for i in instructions)


# -- pinned Python dependencies of the images (D13) ------------------------------------------

EXPORTER_REQUIREMENTS = ROOT / "exporter" / "requirements.txt"
API_CONSTRAINTS = STACK / "ml-api-constraints.txt"


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements/constraints file (names normalised)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"{path.relative_to(ROOT)}:{number}: {line!r} is not pinned to one version (name==x.y.z)"
        )
        pins[canonicalize_name(requirement.name)] = specs[0].version
    return pins


def _pyproject_requirements(*extras: str) -> list:
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _closure(roots: list[str]) -> set[str]:
    """Names of the installed distributions ``roots`` need, transitively (extras and markers honoured)."""
    import importlib.metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    seen: set[str] = set()
    pending = [canonicalize_name(r) for r in roots]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return seen


def test_exporter_image_requirements_are_exact_pins_within_pyproject_ranges() -> None:
    from packaging.utils import canonicalize_name

    pins = _pins(EXPORTER_REQUIREMENTS)
    ranges = {canonicalize_name(r.name): r.specifier for r in _pyproject_requirements()}
    for name, version in pins.items():
        assert version in ranges[name], f"{name}=={version} is outside pyproject's {ranges[name]}"
    # complete: every package the exporter's requirements pull in is pinned too
    assert _closure(list(pins)) <= set(pins), "exporter/requirements.txt misses a dependency"


def test_api_image_installs_with_exact_constraints_for_every_package() -> None:
    text = (ROOT / "ml_api" / "Dockerfile").read_text()
    assert "COPY stack/ml-api-constraints.txt /app/constraints.txt" in text
    # PIP_CONSTRAINT also reaches pip's isolated build environment (setuptools)
    assert re.search(
        r"^RUN PIP_CONSTRAINT=/app/constraints\.txt pip install '\.\[api\]'$", text, re.M
    )
    pins = _pins(API_CONSTRAINTS)
    assert "setuptools" in pins  # the build backend
    for requirement in _pyproject_requirements("api"):
        from packaging.utils import canonicalize_name

        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} (pyproject.toml) is not pinned in {API_CONSTRAINTS.name}"
        assert pins[name] in requirement.specifier, f"{name}=={pins[name]} vs {requirement}"
    roots = [r.name for r in _pyproject_requirements("api")]
    missing = _closure(roots) - set(pins)
    assert not missing, f"{API_CONSTRAINTS.name} does not pin: {sorted(missing)}"
