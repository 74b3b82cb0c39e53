"""What push would do: read Grafana once, compare, and list one action per resource.

Reads are bounded: one search for all dashboards, one GET per dashboard that
already exists (new ones need none), one GET per folder and rule group, plus
one version lookup per *changed* dashboard to tell a source change from an edit
made in Grafana. An unchanged tree therefore costs at most one read per
resource and no writes.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mlmon.grafana.canonical import (
    comparable_dashboard,
    comparable_datasource,
    comparable_rule_group,
    desired_rule_group,
)
from mlmon.grafana.client import GrafanaClient
from mlmon.grafana.config import MANAGED_TAG, FolderSpec
from mlmon.grafana.notifications import plan_notifications
from mlmon.grafana.ownership import (
    DEFAULT_OWNER,
    foreign_rules,
    has_dashboard_marker,
    has_rule_marker,
    owns_dashboard,
)
from mlmon.grafana.semantic_diff import dashboard_diff, rule_group_diff, value_changes
from mlmon.grafana.source import DesiredDashboard, DesiredRuleGroup, Source

MESSAGE_PREFIX = "mlmon"

CREATE, UPDATE, UNCHANGED, DELETE, CONFLICT = "create", "update", "unchanged", "delete", "conflict"
KEEP = "keep"  # prune found it but cannot prove this project made it: left alone, and said so


@dataclass
class Action:
    """One resource: what it is, what push would do to it, and the reviewer-facing diff."""

    kind: str
    key: str
    title: str
    op: str
    diff: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    folder_uid: str | None = None
    version: int | None = None  # Grafana's version when we read it (optimistic locking)
    note: str = ""

    @property
    def label(self) -> str:
        redundant = self.title in (
            self.key,
            self.key.rsplit("/", 1)[-1],
        )  # e.g. rule-group folder/title
        return f"{self.kind} {self.key}" + (
            f" {self.title!r}" if self.title and not redundant else ""
        )

    @property
    def writes(self) -> bool:
        return self.op in (CREATE, UPDATE, DELETE)


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)

    def of(self, *ops: str) -> list[Action]:
        return [a for a in self.actions if a.op in ops]

    @property
    def has_changes(self) -> bool:
        return any(a.op not in (UNCHANGED, KEEP) for a in self.actions)


def _ordered_folders(folders: list[FolderSpec]) -> list[FolderSpec]:
    """Parents before children, whatever order the config declared them in."""
    by_uid = {f.uid: f for f in folders}
    ordered: list[FolderSpec] = []

    def visit(folder: FolderSpec, trail: tuple[str, ...]) -> None:
        if folder in ordered:
            return
        if folder.uid in trail:
            raise ValueError(f"folders form a cycle: {' -> '.join(trail + (folder.uid,))}")
        if folder.parent_uid in by_uid:
            visit(by_uid[folder.parent_uid], trail + (folder.uid,))
        ordered.append(folder)

    for folder in folders:
        visit(folder, ())
    return ordered


def plan_folder(client: GrafanaClient, folder: FolderSpec) -> Action:
    current = client.get_folder(folder.uid)
    payload: dict[str, Any] = {
        "uid": folder.uid,
        "title": folder.title,
        "parentUid": folder.parent_uid,
    }
    if current is None:
        return Action("folder", folder.uid, folder.title, CREATE, ["    + new folder"], payload)
    have = {"title": current.get("title"), "parentUid": current.get("parentUid") or None}
    want = {"title": folder.title, "parentUid": folder.parent_uid}
    if have == want:
        return Action("folder", folder.uid, folder.title, UNCHANGED, payload=payload)
    payload["retitle"] = have["title"] != want["title"]
    payload["move"] = have["parentUid"] != want["parentUid"]
    return Action(
        "folder",
        folder.uid,
        folder.title,
        UPDATE,
        value_changes(have, want, "", "    "),
        payload,
        version=current.get("version"),
    )


def plan_dashboard(
    client: GrafanaClient, desired: DesiredDashboard, exists: bool, overwrite: bool
) -> Action:
    action = Action(
        "dashboard",
        desired.uid,
        desired.title,
        CREATE,
        payload=desired.model,
        folder_uid=desired.folder_uid,
    )
    current = client.get_dashboard(desired.uid) if exists else None
    if current is None:
        action.diff = dashboard_diff(None, desired.model)
        return action
    meta = current.get("meta", {})
    model = comparable_dashboard(current.get("dashboard", {}), desired.model)
    action.version = meta.get("version", current.get("dashboard", {}).get("version"))
    diff = dashboard_diff(model, desired.model)
    if (meta.get("folderUid") or "") != desired.folder_uid:
        diff.insert(
            0, f"    ~ folder: {meta.get('folderUid') or '(root)'!r} -> {desired.folder_uid!r}"
        )
    action.diff = diff
    action.op = UPDATE if diff else UNCHANGED
    if action.op == UNCHANGED:
        return action
    if meta.get("provisioned"):
        # file-provisioned: its versions carry no mlmon message; Grafana itself decides whether the API may
        # save it (the provider's allowUiUpdates) and the client explains a refusal
        action.diff.insert(0, "    (provisioned from a file on the Grafana server)")
    elif not overwrite and MANAGED_TAG not in (current.get("dashboard", {}).get("tags") or []):
        action.op, action.note = (
            CONFLICT,
            (
                f"a dashboard with this uid already exists in Grafana and mlmon does not manage it (no "
                f"{MANAGED_TAG!r} tag); give the source another uid, or push with --overwrite to take it over"
            ),
        )
    elif not overwrite:
        message = client.last_version_message(desired.uid)
        if message is not None and not message.startswith(MESSAGE_PREFIX):
            by = meta.get("updatedBy") or "someone"
            action.op, action.note = (
                CONFLICT,
                (
                    f"{by} saved it in Grafana (e.g. in the UI) since the last mlmon push; pushing would lose "
                    "those edits. Pull it (`mlmon pull --uid ...`) to keep them, or push with --overwrite"
                ),
            )
    return action


def _made_elsewhere(current: dict[str, Any], desired: dict[str, Any]) -> bool:
    """No rule carries an mlmon marker and none has a uid of the source's: a group mlmon did not create.

    (A group pushed by an mlmon before ownership markers shares the source's rule uids.)
    """
    rules = current.get("rules") or []
    ours = {r.get("uid") for r in desired.get("rules", []) if r.get("uid")}
    return bool(rules) and not any(has_rule_marker(r) or r.get("uid") in ours for r in rules)


def plan_rule_group(
    client: GrafanaClient, desired: DesiredRuleGroup, overwrite: bool = False
) -> Action:
    body = desired_rule_group(desired.body)
    action = Action(
        "rule-group",
        desired.key,
        desired.title,
        CREATE,
        payload=desired.body,
        folder_uid=desired.folder_uid,
    )
    current = client.get_rule_group(desired.folder_uid, desired.title)
    if current is None:
        action.diff = rule_group_diff(None, body)
        return action
    action.diff = rule_group_diff(comparable_rule_group(current, body), body)
    action.op = UPDATE if action.diff else UNCHANGED
    if action.op == UPDATE and not overwrite and _made_elsewhere(current, body):
        action.op, action.note = (
            CONFLICT,
            "a rule group with this name already exists in this folder and mlmon did not create it "
            "(none of its rules carries an mlmon ownership marker or a rule uid of the source); "
            "rename the group in alerts_src/, or push with --overwrite to replace it",
        )
    return action


def plan_datasource(client: GrafanaClient, desired: dict[str, Any]) -> Action:
    uid = desired["uid"]
    current = client.get_datasource(uid)
    action = Action("datasource", uid, desired.get("name", uid), CREATE, payload=desired)
    if current is None:
        action.diff = [f"    + new {desired.get('type')} datasource at {desired.get('url')}"]
        return action
    action.diff = value_changes(comparable_datasource(current, desired), desired, "", "    ")
    action.op = UPDATE if action.diff else UNCHANGED
    return action


def datasource_body(settings: dict[str, Any]) -> dict[str, Any]:
    """The Prometheus datasource dashboards reference (uid ``prometheus`` unless configured)."""
    if not settings.get("url"):
        raise ValueError("the datasource needs a url (e.g. http://prometheus:9090)")
    return {
        "uid": settings.get("uid", "prometheus"),
        "name": settings.get("name", "Prometheus"),
        "type": settings.get("type", "prometheus"),
        "access": "proxy",
        "url": settings["url"],
        "isDefault": bool(settings.get("is_default", True)),
        "jsonData": dict(settings.get("json_data", {"httpMethod": "POST"})),
    }


NOT_OURS = "not created by this mlmon project"
PRUNE_NOTE = "    - delete (no longer in generated/)"


def _prune_dashboards(owner: str, wanted: set[str], hits: list[dict[str, Any]]) -> list[Action]:
    """Dashboards gone from generated/: deleted only with this project's marker for their uid."""
    actions = []
    for hit in hits:
        tags = hit.get("tags") or []
        uid = hit["uid"]
        if uid in wanted or not (MANAGED_TAG in tags or has_dashboard_marker(tags)):
            continue  # in the source, or nothing about it says mlmon: not even worth a mention
        if owns_dashboard(owner, uid, tags):
            actions.append(Action("dashboard", uid, hit.get("title", ""), DELETE, [PRUNE_NOTE]))
            continue
        actions.append(
            Action(
                "dashboard",
                uid,
                hit.get("title", ""),
                KEEP,
                note=(
                    f"{NOT_OURS}: tagged like an mlmon dashboard but without the ownership marker "
                    f"for uid {uid!r} (a copy saved in Grafana, made by hand, or pushed by another "
                    "owner or an mlmon before 0.2); delete it in Grafana if it should go"
                ),
            )
        )
    return actions


def _prune_rule_groups(owner: str, source: Source, rules: list[dict[str, Any]]) -> list[Action]:
    """Rule groups gone from generated/: deleted only when every rule carries its marker."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rule in rules:
        groups.setdefault((rule.get("folderUID", ""), rule.get("ruleGroup", "")), []).append(rule)
    wanted = {g.key for g in source.rule_groups}
    managed = source.managed_folder_uids
    actions = []
    for (folder, group), members in groups.items():
        key = f"{folder}/{group}"
        if key in wanted or not (folder in managed or any(map(has_rule_marker, members))):
            continue
        foreign = foreign_rules(owner, folder, group, members)
        if not foreign:
            actions.append(
                Action("rule-group", key, group, DELETE, [PRUNE_NOTE], folder_uid=folder)
            )
            continue
        shown = ", ".join(repr(t) for t in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        actions.append(
            Action(
                "rule-group",
                key,
                group,
                KEEP,
                folder_uid=folder,
                note=(
                    f"{NOT_OURS}: {len(foreign)} of its {len(members)} rules ({shown}) carry no "
                    "ownership marker for this group (made in Grafana, copied from another group, "
                    "or pushed by another owner or an mlmon before 0.2); delete it in Grafana if "
                    "it should go"
                ),
            )
        )
    return actions


def _prune_actions(
    client: GrafanaClient, source: Source, hits: list[dict[str, Any]], owner: str
) -> list[Action]:
    wanted = {d.uid for d in source.dashboards}
    rules = client.list_alert_rules() or []
    return _prune_dashboards(owner, wanted, hits) + _prune_rule_groups(owner, source, rules)


def build_plan(
    client: GrafanaClient,
    source: Source,
    *,
    prune: bool = False,
    overwrite: bool = False,
    datasource: dict[str, Any] | None = None,
    concurrency: int = 8,
    owner: str = DEFAULT_OWNER,
    notifications: dict[str, Any] | None = None,
) -> Plan:
    plan = Plan()
    if datasource is not None:
        plan.actions.append(plan_datasource(client, datasource))
    plan.actions.extend(plan_folder(client, f) for f in _ordered_folders(source.folders))
    hits = client.search_dashboards() if source.dashboards or prune else []
    existing = {hit["uid"] for hit in hits}
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        dashboards = pool.map(
            lambda d: plan_dashboard(client, d, d.uid in existing, overwrite), source.dashboards
        )
        groups = pool.map(lambda g: plan_rule_group(client, g, overwrite), source.rule_groups)
        plan.actions.extend(dashboards)
        plan.actions.extend(groups)
    plan.actions.extend(plan_notifications(client, notifications))
    if prune:
        plan.actions.extend(_prune_actions(client, source, hits, owner))
    return plan
