"""What the user sees: the plan as a diff, a line per resource, and a summary table.

Every line goes through :func:`_emit`, which redacts it (a datasource URL or a
Grafana error text may hold a credential).
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from mlmon.grafana.apply import (
    CREATED,
    DELETED,
    FAILED,
    KEPT,
    SKIPPED,
    UNCHANGED_,
    UPDATED,
    Outcome,
)
from mlmon.grafana.notifications import KINDS as NOTIFICATION_KINDS
from mlmon.grafana.plan import CONFLICT, CREATE, DELETE, KEEP, UNCHANGED, UPDATE, Plan
from mlmon.grafana.redact import redact

SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", CONFLICT: "!", UNCHANGED: "=", KEEP: " "}
KINDS = ("datasource", "folder", "dashboard", "rule-group", *NOTIFICATION_KINDS)
COLUMNS = (CREATED, UPDATED, DELETED, UNCHANGED_, FAILED, SKIPPED)


def _emit(text: str = "", *, file: TextIO, flush: bool = False) -> None:
    print(redact(text), file=file, flush=flush)


def print_plan(plan: Plan, out: TextIO, *, show_unchanged: bool = False) -> None:
    """Per-resource semantic diff; unchanged resources only with ``show_unchanged``."""
    for action in plan.actions:
        if action.op == UNCHANGED and not show_unchanged:
            continue
        _emit(f"{SYMBOL[action.op]} {action.op:<9} {action.label}", file=out)
        if action.op == CONFLICT:
            _emit(f"    ! {action.note}", file=out)
        elif action.op == KEEP:
            _emit(f"    kept: {action.note}", file=out)
        for line in action.diff:
            _emit(line, file=out)
    counts = Counter(a.op for a in plan.actions)
    summary = ", ".join(f"{counts[op]} to {op}" for op in (CREATE, UPDATE, DELETE) if counts[op])
    conflicts = f", {counts[CONFLICT]} in conflict" if counts[CONFLICT] else ""
    kept = f", {counts[KEEP]} kept (not this project's)" if counts[KEEP] else ""
    _emit(
        f"plan: {summary or 'no changes'}{conflicts}{kept} ({counts[UNCHANGED]} unchanged)",
        file=out,
    )


def progress_printer(out: TextIO):
    def show(outcome: Outcome, index: int, total: int) -> None:
        if outcome.status == UNCHANGED_:
            return  # counted in the summary; 200 "unchanged" lines would hide what happened
        width = len(str(total))
        _emit(
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
    columns = COLUMNS + ((KEPT,) if any(s == KEPT for _, s in counts) else ())
    rows = [("", *columns)]
    for kind in KINDS:
        if any(k == kind for k, _ in counts):
            rows.append((kind, *(str(counts[(kind, c)]) for c in columns)))
    rows.append(("total", *(str(sum(counts[(k, c)] for k in KINDS)) for c in columns)))
    _emit(file=out)
    for line in _table(rows):
        _emit(line, file=out)
    kept = [o for o in outcomes if o.status == KEPT]
    if kept:
        _emit(
            f"\nkept (not pruned, {len(kept)}): " + ", ".join(o.action.label for o in kept),
            file=out,
        )
    failed = [o for o in outcomes if not o.applied]
    if failed:
        applied = [o for o in outcomes if o.applied and o.status not in (UNCHANGED_, KEPT)]
        _emit(f"\nNOT applied ({len(failed)}):", file=out)
        for outcome in failed:
            _emit(f"  {outcome.status}: {outcome.error}", file=out)
        _emit(
            f"applied ({len(applied)}): " + (", ".join(o.action.label for o in applied) or "none"),
            file=out,
        )
        _emit(
            "Fix the causes above and run the same command again: it only sends what still differs.",
            file=out,
        )
