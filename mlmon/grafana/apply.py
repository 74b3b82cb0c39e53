"""Carry out a plan: datasource, folders (parents first), then dashboards and rule
groups with bounded concurrency, then deletions. A failure never stops the other
resources; it is recorded, so the summary says what was applied and what was not,
and the next run (which re-plans from Grafana's state) picks up the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mlmon.grafana.canonical import comparable_dashboard
from mlmon.grafana.client import GrafanaClient
from mlmon.grafana.errors import GrafanaConflictError, GrafanaError
from mlmon.grafana.notifications import KINDS as NOTIFICATION_KINDS
from mlmon.grafana.notifications import apply_notification, check_secrets
from mlmon.grafana.plan import CONFLICT, CREATE, DELETE, KEEP, UNCHANGED, UPDATE, Action, Plan

CREATED, UPDATED, UNCHANGED_, DELETED, FAILED, SKIPPED, KEPT = (
    "created",
    "updated",
    "unchanged",
    "deleted",
    "failed",
    "skipped",
    "kept",
)
DONE = {CREATE: CREATED, UPDATE: UPDATED, DELETE: DELETED, UNCHANGED: UNCHANGED_}


@dataclass
class Outcome:
    action: Action
    status: str
    error: str = ""

    @property
    def applied(self) -> bool:
        return self.status not in (FAILED, SKIPPED)


Progress = Callable[[Outcome, int, int], None]


@dataclass(frozen=True)
class ApplyOptions:
    message: str
    overwrite: bool = False
    disable_provenance: bool = False
    concurrency: int = 8


class _Applier:
    def __init__(
        self, client: GrafanaClient, options: ApplyOptions, total: int, progress: Progress | None
    ):
        self.client = client
        self.options = options
        self.total = total
        self.progress = progress
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()

    def record(self, outcome: Outcome) -> Outcome:
        with self._lock:
            self.outcomes.append(outcome)
            if self.progress:
                self.progress(outcome, len(self.outcomes), self.total)
        return outcome

    def run(self, action: Action, blocked: set[str]) -> Outcome:
        if action.op == UNCHANGED:
            return self.record(Outcome(action, UNCHANGED_))
        if action.op == KEEP:  # prune could not prove it is ours: not a failure, not touched
            return self.record(Outcome(action, KEPT))
        if action.op == CONFLICT:
            return self.record(Outcome(action, FAILED, f"{action.label}: {action.note}"))
        if action.folder_uid in blocked and action.op != DELETE:
            return self.record(
                Outcome(
                    action,
                    SKIPPED,
                    f"{action.label}: its folder {action.folder_uid!r} could not be created",
                )
            )
        try:
            self._write(action)
        except GrafanaError as exc:
            return self.record(Outcome(action, FAILED, str(exc)))
        return self.record(Outcome(action, DONE[action.op]))

    def _write(self, action: Action) -> None:
        client, opts = self.client, self.options
        payload = action.payload
        if action.kind == "datasource":
            if action.op == CREATE:
                client.create_datasource(payload)
            else:
                client.update_datasource(action.key, payload)
        elif action.kind == "folder":
            if action.op == CREATE:
                client.create_folder(payload["uid"], payload["title"], payload["parentUid"])
            else:
                if payload.get("retitle"):
                    client.update_folder(action.key, payload["title"], action.version)
                if payload.get("move"):
                    client.move_folder(action.key, payload["parentUid"])
        elif action.kind == "dashboard":
            if action.op == DELETE:
                client.delete_dashboard(action.key, action.title)
            else:
                self._upsert_dashboard(action)
        elif action.kind in NOTIFICATION_KINDS:
            apply_notification(client, action, opts.disable_provenance)
        elif action.kind == "rule-group":
            if action.op == DELETE:
                client.delete_rule_group(action.folder_uid or "", action.title)
            else:
                client.put_rule_group(payload, opts.disable_provenance)

    def _upsert_dashboard(self, action: Action) -> None:
        model = dict(action.payload)
        if action.version is not None and not self.options.overwrite:
            model["version"] = (
                action.version
            )  # Grafana answers 412 if someone saved it since we read it
        try:
            self.client.upsert_dashboard(
                model, action.folder_uid or "", self.options.message, self.options.overwrite
            )
        except GrafanaConflictError as exc:
            # A retried POST that Grafana had already applied also comes back as 412: that is success.
            current = (
                self.client.get_dashboard(action.key) if exc.reason == "version-mismatch" else None
            )
            if (
                current is None
                or comparable_dashboard(current["dashboard"], action.payload) != action.payload
            ):
                raise


def apply_plan(
    client: GrafanaClient, plan: Plan, options: ApplyOptions, progress: Progress | None = None
) -> list[Outcome]:
    check_secrets(plan.actions)  # before any write: a missing secret stops the push, not half of it
    applier = _Applier(client, options, len(plan.actions), progress)
    blocked: set[str] = set()
    for action in [a for a in plan.actions if a.kind in ("datasource", "folder")]:
        outcome = applier.run(action, blocked)
        if action.kind == "folder" and not outcome.applied:
            blocked.add(action.key)
    # Templates, mute timings, contact points, then the policy tree that names them: in order.
    for action in [a for a in plan.actions if a.kind in NOTIFICATION_KINDS]:
        applier.run(action, blocked)
    writes = [a for a in plan.actions if a.kind in ("dashboard", "rule-group") and a.op != DELETE]
    deletes = [a for a in plan.actions if a.op == DELETE]
    pool = ThreadPoolExecutor(max_workers=max(1, options.concurrency))
    try:
        list(pool.map(lambda a: applier.run(a, blocked), writes))
        list(pool.map(lambda a: applier.run(a, blocked), deletes))
    finally:
        # on Ctrl-C, requests in flight finish (nothing half-sent) and queued ones are dropped
        pool.shutdown(wait=True, cancel_futures=True)
    return applier.outcomes
