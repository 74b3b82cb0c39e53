"""`mlmon push`, `mlmon diff` and `mlmon pull`: generated/ to Grafana and back."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mlmon.errors import MlmonError, SourceError
from mlmon.grafana.apply import ApplyOptions, Outcome, apply_plan
from mlmon.grafana.client import GrafanaClient
from mlmon.grafana.config import Target, load_target
from mlmon.grafana.errors import GrafanaConfigError, NotGrafanaError
from mlmon.grafana.notifications import load_notifications
from mlmon.grafana.plan import CONFLICT, MESSAGE_PREFIX, build_plan, datasource_body
from mlmon.grafana.pull import pull_dashboards, resolve_uids
from mlmon.grafana.redact import redact
from mlmon.grafana.report import print_plan, print_summary, progress_printer
from mlmon.grafana.source import load_source

TARGET_HELP = """
connection (flags win; then GRAFANA_* variables, then mlmon.toml — except that
the table of a target chosen with --target wins over GRAFANA_* variables):
  GRAFANA_URL         Grafana's root URL, e.g. http://localhost:3000
  GRAFANA_TOKEN       service-account token (sent as a Bearer token), or
  GRAFANA_USER / GRAFANA_PASSWORD for basic auth
  GRAFANA_ORG_ID      organisation, sent as X-Grafana-Org-Id
  GRAFANA_CA_BUNDLE   CA certificates to verify https (verification is on unless
                      a target in mlmon.toml sets tls_verify = false)
  GRAFANA_TIMEOUT     seconds per request (default 10); failures are retried with backoff
"""


def _connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target")
    group.add_argument(
        "--target", help="a [targets.NAME] table of the config file (e.g. staging, prod)"
    )
    group.add_argument("--config", type=Path, help="config file (default: ./mlmon.toml if present)")
    group.add_argument("--url", help="Grafana URL (overrides GRAFANA_URL)")
    group.add_argument("--org-id", type=int, help="organisation id (overrides GRAFANA_ORG_ID)")
    group.add_argument("--ca-bundle", help="CA bundle for https (overrides GRAFANA_CA_BUNDLE)")
    group.add_argument(
        "--timeout", type=float, help="seconds per request (overrides GRAFANA_TIMEOUT)"
    )
    group.add_argument(
        "--concurrency", type=int, default=8, help="requests in flight at once (default 8)"
    )


def _source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generated",
        type=Path,
        default=Path("generated"),
        metavar="DIR",
        help="compiled output to push (default: generated/)",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also delete dashboards and rule groups that are no longer in generated/ and that "
        "this project pushed (proven by an ownership marker bound to each uid, not by a tag or "
        "folder); copies and hand-made resources are kept and listed",
    )
    parser.add_argument(
        "--datasource-url",
        metavar="URL",
        help="create or update the Prometheus datasource (uid 'prometheus') pointing at URL",
    )


def _parser(
    subparsers, name: str, help_text: str, description: str, source: bool = False
) -> argparse.ArgumentParser:
    """A sub-command talking to Grafana; ``source`` adds the options of commands that read generated/."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=TARGET_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_options(parser)
    if source:
        _source_options(parser)
    return parser


def register(subparsers) -> None:
    push = _parser(
        subparsers,
        "push",
        "upload generated/ to Grafana (idempotent)",
        "Upload generated/ to Grafana: folders, dashboards, alert rule groups. Only what differs "
        "from Grafana's current state is written; an unchanged tree makes no write requests.",
        source=True,
    )
    push.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (same as `mlmon diff`); write nothing",
    )
    push.add_argument(
        "--overwrite",
        action="store_true",
        help="replace dashboards someone changed in Grafana since the last push, and rule "
        "groups of the same name that mlmon did not create",
    )
    push.add_argument("--message", help="version-history message (default: the git revision)")
    push.add_argument(
        "--disable-provenance",
        action="store_true",
        help="send X-Disable-Provenance so pushed alert rules stay editable in the UI",
    )
    push.set_defaults(func=run_push)

    diff = _parser(
        subparsers,
        "diff",
        "show what `mlmon push` would change in Grafana",
        "Per-resource semantic diff between generated/ and Grafana: panels and rules added, "
        "removed or changed, queries as text diffs. Server-managed fields are ignored.",
        source=True,
    )
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when there are changes (for CI drift checks)",
    )
    diff.add_argument("--show-unchanged", action="store_true", help="also list unchanged resources")
    diff.set_defaults(func=run_diff)

    pull = _parser(
        subparsers,
        "pull",
        "fetch dashboards from Grafana into JSON (or Python)",
        "Fetch dashboards from Grafana, without server-managed fields, into DIR/<uid>.json, or "
        "with --as-python into Python modules for dashboards_src/.",
    )
    pull.add_argument("--uid", action="append", default=[], help="dashboard uid (repeatable)")
    pull.add_argument("--folder", help="every dashboard in this folder (uid or title)")
    pull.add_argument(
        "--out",
        type=Path,
        help="output directory (default: pulled/, or dashboards_src/ with --as-python)",
    )
    pull.add_argument(
        "--as-python", action="store_true", help="write Python modules via `mlmon import`"
    )
    pull.add_argument(
        "--force", action="store_true", help="with --as-python: replace existing modules"
    )
    pull.set_defaults(func=run_pull)


def _target(args: argparse.Namespace) -> Target:
    return load_target(
        target=args.target,
        config_path=args.config,
        url=args.url,
        timeout=args.timeout,
        ca_bundle=args.ca_bundle,
        org_id=args.org_id,
    )


def git_message() -> str:
    """``mlmon push from git <rev>`` (``+dirty`` with uncommitted changes), or ``mlmon push``."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"{MESSAGE_PREFIX} push"
    return f"{MESSAGE_PREFIX} push from git {rev}{'+dirty' if dirty else ''}"


def _connect(args: argparse.Namespace) -> tuple[GrafanaClient, Target]:
    target = _target(args)
    client = GrafanaClient(target, pool_maxsize=max(1, args.concurrency))
    health = client.health()
    credential = target.credential.describe() if target.credential else "no credential"
    print(
        redact(
            f"Grafana {health.get('version', '?')} at {target.url} (target {target.name}, {credential})"
        ),
        file=sys.stderr,
    )
    return client, target


def _planned(args: argparse.Namespace, overwrite: bool):
    client, target = _connect(args)
    source = load_source(args.generated, target)
    datasource = dict(target.datasource or {})
    if args.datasource_url:
        datasource["url"] = args.datasource_url
    try:
        body = datasource_body(datasource) if datasource else None
    except ValueError as exc:
        raise GrafanaConfigError(f"[datasource] in the config: {exc}") from None
    started = time.monotonic()
    print(
        f"reading Grafana's state for {len(source.dashboards)} dashboards, {len(source.rule_groups)} rule "
        f"groups, {len(source.folders)} folders...",
        file=sys.stderr,
    )
    plan = build_plan(
        client,
        source,
        prune=args.prune,
        overwrite=overwrite,
        datasource=body,
        concurrency=args.concurrency,
        owner=target.owner,
        notifications=load_notifications(args.generated),
    )
    print(f"compared in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return client, target, plan


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Print MlmonErrors as one clear, redacted line.

    Exit 2 when the configuration, generated/ or GRAFANA_URL is wrong (retrying cannot help:
    the URL does not lead to Grafana's API), 1 when Grafana refused or failed.
    """

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (GrafanaConfigError, SourceError, NotGrafanaError) as exc:
            print(f"error: {redact(exc)}", file=sys.stderr)
            return 2
        except MlmonError as exc:
            print(f"error: {redact(exc)}", file=sys.stderr)
            return 1

    wrapper.__name__ = run.__name__
    return wrapper


@_guarded
def run_push(args: argparse.Namespace) -> int:
    client, target, plan = _planned(args, args.overwrite)
    try:
        print_plan(plan, sys.stdout)
        if args.dry_run:
            print("dry run: nothing was written", file=sys.stdout)
            return 1 if plan.of(CONFLICT) else 0
        if not any(a.writes or a.op == CONFLICT for a in plan.actions):
            print("Grafana is up to date: nothing to write")
            return 0
        message = (
            args.message
            if args.message and args.message.startswith(MESSAGE_PREFIX)
            else (f"{MESSAGE_PREFIX}: {args.message}" if args.message else git_message())
        )
        options = ApplyOptions(
            message=message,
            overwrite=args.overwrite,
            disable_provenance=args.disable_provenance or target.disable_provenance,
            concurrency=args.concurrency,
        )
        outcomes: list[Outcome] = []
        show = progress_printer(sys.stdout)

        def progress(outcome: Outcome, index: int, total: int) -> None:
            outcomes.append(outcome)
            show(outcome, index, total)

        try:
            apply_plan(client, plan, options, progress)
        except KeyboardInterrupt:
            print_summary(outcomes, sys.stdout)
            print(
                f"interrupted: {len(plan.actions) - len(outcomes)} resources were not attempted; "
                "run the same command again to finish",
                file=sys.stderr,
            )
            return 130
        print_summary(outcomes, sys.stdout)
        return 0 if all(o.applied for o in outcomes) else 1
    finally:
        client.close()


@_guarded
def run_diff(args: argparse.Namespace) -> int:
    client, _, plan = _planned(args, overwrite=False)
    client.close()
    print_plan(plan, sys.stdout, show_unchanged=args.show_unchanged)
    return 1 if args.exit_code and plan.has_changes else 0


def _report_file(path: Path, notes: list[str]) -> None:
    print(f"wrote {path}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


@_guarded
def run_pull(args: argparse.Namespace) -> int:
    if not args.uid and not args.folder:
        print("error: give --uid UID (repeatable) or --folder FOLDER", file=sys.stderr)
        return 2
    client, _ = _connect(args)
    try:
        uids = resolve_uids(client, args.uid, args.folder)
        out = args.out or Path("dashboards_src" if args.as_python else "pulled")
        written = pull_dashboards(
            client, uids, out, as_python=args.as_python, force=args.force, on_file=_report_file
        )
    finally:
        client.close()
    print(redact(f"pulled {len(written)} dashboard(s) into {out}/"))
    return 0
