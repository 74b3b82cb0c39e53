"""What the user sees: the plan as a diff, a line per resource, and a summary table."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from mlmon.grafana.apply import CREATED, DELETED, FAILED, SKIPPED, UNCHANGED_, UPDATED, Outcome
from mlmon.grafana.notifications import KINDS as NOTIFICATION_KINDS
from mlmon.grafana.plan import CONFLICT, CREATE, DELETE, UNCHANGED, UPDATE, Plan

SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", CONFLICT: "!", UNCHANGED: "="}
KINDS = ("datasource", "folder", "dashboard", "rule-group", *NOTIFICATION_KINDS)
COLUMNS = (CREATED, UPDATED, DELETED, UNCHANGED_, FAILED, SKIPPED)
PLAN_COLUMNS = (CREATE, UPDATE, DELETE, UNCHANGED, CONFLICT)


def print_plan(plan: Plan, out: TextIO, *, show_unchanged: bool = False) -> None:
    """Per-resource semantic diff; unchanged resources only with ``show_unchanged``."""
    for action in plan.actions:
        if action.op == UNCHANGED and not show_unchanged:
            continue
        print(f"{SYMBOL[action.op]} {action.op:<9} {action.label}", file=out)
        if action.op == CONFLICT:
            print(f"    ! {action.note}", file=out)
        for line in action.diff:
            print(line, file=out)
    counts = Counter(a.op for a in plan.actions)
    summary = ", ".join(f"{counts[op]} to {op}" for op in (CREATE, UPDATE, DELETE) if counts[op])
    conflicts = f", {counts[CONFLICT]} in conflict" if counts[CONFLICT] else ""
    print(f"plan: {summary or 'no changes'}{conflicts} ({counts[UNCHANGED]} unchanged)", file=out)


def progress_printer(out: TextIO):
    def show(outcome: Outcome, index: int, total: int) -> None:
        if outcome.status == UNCHANGED_:
            return  # counted in the summary; 200 "unchanged" lines would hide what happened
        width = len(str(total))
        print(
            f"[{index:>{width}}/{total}] {outcome.status:<9} {outcome.action.label}",
            file=out,
            flush=True,
        )

    return show


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
        )
        for row in rows
    ]


def print_summary(outcomes: list[Outcome], out: TextIO) -> None:
    counts = Counter((o.action.kind, o.status) for o in outcomes)
    rows = [("", *COLUMNS)]
    for kind in KINDS:
        if any(k == kind for k, _ in counts):
            rows.append((kind, *(str(counts[(kind, c)]) for c in COLUMNS)))
    rows.append(("total", *(str(sum(counts[(k, c)] for k in KINDS)) for c in COLUMNS)))
    print("", file=out)
    for line in _table(rows):
        print(line, file=out)
    failed = [o for o in outcomes if not o.applied]
    if failed:
        applied = [o for o in outcomes if o.applied and o.status != UNCHANGED_]
        print(f"\nNOT applied ({len(failed)}):", file=out)
        for outcome in failed:
            print(f"  {outcome.status}: {outcome.error}", file=out)
        print(
            f"applied ({len(applied)}): " + (", ".join(o.action.label for o in applied) or "none"),
            file=out,
        )
        print(
            "Fix the causes above and run the same command again: it only sends what still differs.",
            file=out,
        )
