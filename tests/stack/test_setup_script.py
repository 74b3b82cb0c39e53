"""scripts/setup-monitoring.sh: lint-clean, and its .env handling (the part that runs without Docker)."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.stack.stack_files import ENV_EXAMPLE, SETUP_SCRIPT, run_compose_config
from tests.support.processes import ROOT, require_tool


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The script and stack/.env.example in a scratch tree, so the real stack/.env is never touched."""
    (tmp_path / "scripts").mkdir()
    (tmp_path / "stack").mkdir()
    shutil.copy(SETUP_SCRIPT, tmp_path / "scripts" / SETUP_SCRIPT.name)
    shutil.copy(ENV_EXAMPLE, tmp_path / "stack" / ".env.example")
    return tmp_path


def run_script(tree: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(tree / "scripts" / SETUP_SCRIPT.name), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def password_of(env_file: Path) -> str:
    return re.search(r"^GF_SECURITY_ADMIN_PASSWORD=(.*)$", env_file.read_text(), re.M).group(1)


def test_shellcheck_is_clean() -> None:
    shellcheck = require_tool("shellcheck")
    result = subprocess.run([shellcheck, str(SETUP_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_script_is_executable_and_strict() -> None:
    assert os.stat(SETUP_SCRIPT).st_mode & stat.S_IXUSR
    assert "set -euo pipefail" in SETUP_SCRIPT.read_text()


def test_help_lists_the_options(checkout: Path) -> None:
    result = run_script(checkout, "--help")
    assert result.returncode == 0
    for option in ("--env-only", "--skip-build", "--timeout", "--down"):
        assert option in result.stdout


def test_unknown_option_is_an_error(checkout: Path) -> None:
    result = run_script(checkout, "--bogus")
    assert result.returncode != 0
    assert "unknown option: --bogus" in result.stderr


def test_first_run_creates_a_private_env_with_a_random_password(checkout: Path) -> None:
    result = run_script(checkout, "--env-only")
    assert result.returncode == 0, result.stderr
    env_file = checkout / "stack" / ".env"
    assert str(env_file) in result.stdout  # says where the password is
    password = password_of(env_file)
    assert re.fullmatch(r"[0-9a-f]{48}", password)
    assert password not in result.stdout + result.stderr
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    # The postgres profile's password too: random, and not the Grafana one.
    (postgres_password,) = re.findall(r"^POSTGRES_PASSWORD=(.*)$", env_file.read_text(), re.M)
    assert re.fullmatch(r"[0-9a-f]{48}", postgres_password) and postgres_password != password
    assert postgres_password not in result.stdout + result.stderr
    # Everything else is the example's.
    secrets = ("GF_SECURITY_ADMIN_PASSWORD=", "POSTGRES_PASSWORD=")
    without_password = [
        line for line in env_file.read_text().splitlines() if not line.startswith(secrets)
    ]
    assert without_password == [
        line for line in ENV_EXAMPLE.read_text().splitlines() if not line.startswith(secrets)
    ]
    assert "POSTGRES_PASSWORD=\n" in ENV_EXAMPLE.read_text()  # no default in the repo
    assert sorted(p.name for p in (checkout / "stack").iterdir()) == [
        ".env",
        ".env.example",
    ]  # no temp file left


def test_generated_env_is_accepted_by_compose(checkout: Path) -> None:
    assert run_script(checkout, "--env-only").returncode == 0
    result = run_compose_config(checkout / "stack" / ".env")
    assert result.returncode == 0, result.stderr


def test_rerun_keeps_the_existing_env(checkout: Path) -> None:
    assert run_script(checkout, "--env-only").returncode == 0
    env_file = checkout / "stack" / ".env"
    before = env_file.read_text()
    result = run_script(checkout, "--env-only")
    assert result.returncode == 0
    assert "Keeping the existing" in result.stdout
    assert env_file.read_text() == before


def test_each_checkout_gets_its_own_password(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(checkout, other, dirs_exist_ok=True)
    for tree in (checkout, other):
        assert run_script(tree, "--env-only").returncode == 0
    assert password_of(checkout / "stack" / ".env") != password_of(other / "stack" / ".env")


def test_an_env_with_an_empty_password_is_refused(checkout: Path) -> None:
    shutil.copy(ENV_EXAMPLE, checkout / "stack" / ".env")
    result = run_script(checkout, "--env-only")
    assert result.returncode != 0
    assert "GF_SECURITY_ADMIN_PASSWORD is empty" in result.stderr


def test_without_docker_it_says_so_and_points_at_the_demo(
    checkout: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bin_dir = tmp_path_factory.mktemp("bin")  # a PATH with the script's tools but no docker
    for tool in (
        "bash",
        "dirname",
        "sed",
        "tail",
        "mktemp",
        "chmod",
        "mv",
        "head",
        "od",
        "tr",
        "cat",
    ):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        [str(bin_dir / "bash"), str(checkout / "scripts" / SETUP_SCRIPT.name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(bin_dir)},
    )
    assert result.returncode == 1
    assert "Docker is not installed" in result.stderr and "make demo" in result.stderr


def test_make_targets_call_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^stack-up:.*\n\t\./scripts/setup-monitoring\.sh$", makefile, re.M)
    assert re.search(r"^stack-down:.*\n\t\./scripts/setup-monitoring\.sh --down$", makefile, re.M)


def test_windows_script_mirrors_the_shell_script() -> None:
    """cmd.exe cannot run here; check what can go wrong without running it."""
    bat = (ROOT / "scripts" / "setup-monitoring.bat").read_bytes()
    assert bat.count(b"\r\n") == bat.count(b"\n"), (
        "cmd.exe needs CRLF line endings (labels misbehave with LF)"
    )
    text = bat.decode("ascii")
    for needed in (
        r"stack\docker-compose.yml",
        r"stack\.env.example",
        "GF_SECURITY_ADMIN_PASSWORD",
        "POSTGRES_PASSWORD=",
        "up -d --build",
        "docker compose",
        "docker-compose",
        "--down",
        "--skip-build",
        "RandomNumberGenerator",
    ):
        assert needed in text, needed
    assert "admin123" not in text


@pytest.mark.parametrize("password", ["admin", "admin123", "elevenchars"])
def test_a_weak_grafana_password_is_refused(checkout: Path, password: str) -> None:
    """D13: a hand-set password shorter than 12 characters is refused, without echoing it."""
    env_file = checkout / "stack" / ".env"
    env_file.write_text(
        ENV_EXAMPLE.read_text().replace(
            "GF_SECURITY_ADMIN_PASSWORD=", f"GF_SECURITY_ADMIN_PASSWORD={password}"
        )
    )
    env_file.chmod(0o600)
    result = run_script(checkout, "--env-only")
    assert result.returncode != 0
    assert "at least 12 characters" in result.stderr
    assert password not in result.stdout + result.stderr


def test_a_twelve_character_password_is_accepted(checkout: Path) -> None:
    env_file = checkout / "stack" / ".env"
    env_file.write_text(
        ENV_EXAMPLE.read_text().replace(
            "GF_SECURITY_ADMIN_PASSWORD=", "GF_SECURITY_ADMIN_PASSWORD=twelve-chars"
        )
    )
    env_file.chmod(0o600)
    result = run_script(checkout, "--env-only")
    assert result.returncode == 0, result.stderr


def test_an_existing_env_readable_by_others_is_made_private(checkout: Path) -> None:
    env_file = checkout / "stack" / ".env"
    env_file.write_text(
        ENV_EXAMPLE.read_text().replace(
            "GF_SECURITY_ADMIN_PASSWORD=", "GF_SECURITY_ADMIN_PASSWORD=a-long-enough-password"
        )
    )
    env_file.chmod(0o644)
    result = run_script(checkout, "--env-only")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600


def test_windows_script_keeps_env_private_and_refuses_weak_passwords() -> None:
    """cmd.exe cannot run here: check statically that the .bat does what the .sh does."""
    text = (ROOT / "scripts" / "setup-monitoring.bat").read_bytes().decode("ascii")
    # the new .env gets an ACL for the current user only (no inherited Users/Everyone access)
    assert re.search(r'icacls "%ENV_FILE%" /inheritance:r /grant:r "%USERNAME%:\(F\)"', text)
    acl = text.index("icacls")
    assert text.index("Move-Item") < acl  # applied to the final file, not only the temporary one
    # the password length check runs for an existing .env too, and names the rule
    assert "at least 12 characters" in text
    check = re.search(r"GF_SECURITY_ADMIN_PASSWORD.*\.Length -lt 12", text)
    assert check, "the .bat must measure the password's length"
