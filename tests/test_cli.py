"""The `mlmon` entry point: every sub-command is listed and has --help."""

import subprocess
import sys

import pytest

from mlmon import cli

COMMANDS = sorted(cli.COMMANDS)


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"\n    {name} " in out, f"`mlmon --help` does not list {name}"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: mlmon {name}" in capsys.readouterr().out


def test_running_one_command_imports_only_its_module():
    code = (
        "import sys; from mlmon import cli; cli.build_parser(['build', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('mlmon.commands.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['mlmon.commands.build']"


def test_no_command_prints_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: mlmon" in capsys.readouterr().out
