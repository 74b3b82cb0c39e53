"""A small Dockerfile reader for the stack tests: instructions, ENV, exec-form commands."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, ...
    args: str  # the rest of the (joined) line
    line: int  # where it starts, for messages


def parse(path: Path) -> list[Instruction]:
    """Instructions in order; continuation lines joined, comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comments inside a continued instruction are ignored by docker too
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        keyword, _, args = " ".join(part for part in pending if part).partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
        pending = []
    return instructions


def env(instructions: list[Instruction]) -> dict[str, str]:
    """Variables set by ENV (``KEY=value`` form)."""
    values: dict[str, str] = {}
    for instruction in instructions:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.args):
                key, _, value = pair.partition("=")
                values[key] = value
    return values


def exec_form(args: str) -> list[str]:
    """The argv of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD (``["a", "b"]``); shell form is split with shlex."""
    args = args.strip()
    return json.loads(args) if args.startswith("[") else shlex.split(args)


def healthcheck_command(instructions: list[Instruction]) -> list[str] | None:
    """The argv of the last HEALTHCHECK, or None when there is none (or it is NONE)."""
    checks = [i for i in instructions if i.keyword == "HEALTHCHECK"]
    if not checks or checks[-1].args.upper() == "NONE":
        return None
    _, _, command = checks[-1].args.partition("CMD")
    return exec_form(command)


def last(instructions: list[Instruction], keyword: str) -> Instruction | None:
    matching = [i for i in instructions if i.keyword == keyword]
    return matching[-1] if matching else None
