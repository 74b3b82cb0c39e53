"""Who gets an alert, written in Python beside the rules: contact points, the policy tree, mute timings, templates.

One :class:`Routing` (``alerts_src/routing.py`` exposes it as ``routing``)
compiles to Grafana's alerting provisioning (contact points, notification
policies, mute timings, templates) and to an Alertmanager configuration:

    routing = Routing(
        contact_points=[ContactPoint("ml-team", [Webhook(url=Env("MLMON_ML_WEBHOOK_URL"))])],
        policy=Policy(receiver="ml-team", group_by=("alertname", "model_name"),
                      routes=[Route(receiver="ml-team", matchers={"team": "ml"})]),
    )

Secrets (webhook URLs with tokens, API keys, passwords) are :class:`Env`
references: the *name* of an environment variable. Only the name reaches
``generated/``; the value is read where the notification is sent from
(Grafana expands ``$NAME`` in provisioning files, ``mlmon push`` and
:mod:`mlmon.alerts.envrefs` resolve it for Alertmanager at start).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mlmon.alerts.durations import seconds
from mlmon.errors import SourceError

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
RECEIVER_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_CLOCK = re.compile(r"([01][0-9]|2[0-4]):[0-5][0-9]")


@dataclass(frozen=True)
class Env:
    """The value of environment variable ``name``, read when the notification is configured, never stored."""

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not ENV_NAME.fullmatch(self.name):
            raise SourceError(
                f"environment variable name {self.name!r} is not valid",
                hint="upper-case letters, digits and _, e.g. Env('MLMON_SLACK_WEBHOOK_URL')",
            )


Setting = str | Env


# -- integrations: what a contact point sends to ---------------------------------------------


@dataclass(frozen=True)
class Webhook:
    """HTTP POST of the alert group as JSON (Alertmanager's webhook payload; Grafana's is a superset)."""

    url: Setting
    kind = "webhook"


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    smarthost: str = "localhost:25"  # host:port of the SMTP relay
    sender: str = "mlmon@localhost"
    username: str | None = None
    password: Env | None = None
    kind = "email"


@dataclass(frozen=True)
class Slack:
    url: Env  # the incoming-webhook URL carries its token: always a secret
    channel: str | None = None
    kind = "slack"


@dataclass(frozen=True)
class PagerDuty:
    routing_key: Env  # Events API v2 integration key
    url: Setting = "https://events.pagerduty.com/v2/enqueue"
    kind = "pagerduty"


@dataclass(frozen=True)
class Teams:
    """Microsoft Teams incoming webhook. Alertmanager has it from 0.26 on (see mlmon.alerts.alertmanager)."""

    url: Env
    kind = "teams"


Integration = Webhook | Email | Slack | PagerDuty | Teams
INTEGRATIONS = (Webhook, Email, Slack, PagerDuty, Teams)


@dataclass(frozen=True)
class ContactPoint:
    """A named receiver: every integration in it gets each notification."""

    name: str
    integrations: Sequence[Integration]
    send_resolved: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not RECEIVER_NAME.fullmatch(self.name):
            raise SourceError(
                f"contact point name {self.name!r} is not valid",
                hint="lower-case letters, digits, - and _, e.g. 'ml-team'",
            )
        integrations = tuple(self.integrations)
        if not integrations:
            raise SourceError(
                "a contact point needs at least one integration",
                item=self.name,
                hint="e.g. ContactPoint('ml-team', [Webhook(url=Env('MLMON_ML_WEBHOOK_URL'))])",
            )
        for integration in integrations:
            if not isinstance(integration, INTEGRATIONS):
                raise SourceError(
                    f"{type(integration).__name__} is not an integration",
                    item=self.name,
                    hint="use Webhook, Email, Slack, PagerDuty or Teams",
                )
        object.__setattr__(self, "integrations", integrations)


# -- the policy tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str  # "=", "!=", "=~", "!~"
    value: str

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'

    def matches(self, value: str | None) -> bool:
        """Alertmanager semantics: a missing label is the empty string; regexes are anchored."""
        text = value or ""
        if self.op == "=":
            return text == self.value
        if self.op == "!=":
            return text != self.value
        found = re.fullmatch(self.value, text) is not None
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class Re:
    """A regular-expression matcher value: ``matchers={"severity": Re("critical|warning")}``."""

    pattern: str


@dataclass(frozen=True)
class NotRe:
    pattern: str


@dataclass(frozen=True)
class Not:
    value: str


MatcherValue = str | Re | NotRe | Not


def _matchers(spec: Mapping[str, MatcherValue], where: str) -> tuple[Matcher, ...]:
    result = []
    for label, value in sorted(spec.items()):
        if not LABEL_NAME.fullmatch(label):
            raise SourceError(f"matcher label {label!r} is not a valid label name", item=where)
        if isinstance(value, str):
            result.append(Matcher(label, "=", value))
        elif isinstance(value, Not):
            result.append(Matcher(label, "!=", value.value))
        elif isinstance(value, (Re, NotRe)):
            try:
                re.compile(value.pattern)
            except re.error as exc:
                raise SourceError(
                    f"matcher {label}: regex {value.pattern!r} is invalid: {exc}", item=where
                ) from None
            result.append(Matcher(label, "=~" if isinstance(value, Re) else "!~", value.pattern))
        else:
            raise SourceError(
                f"matcher {label}: {value!r} is not a string, Re, NotRe or Not", item=where
            )
    return tuple(result)


def _duration(value: str | None, what: str, where: str) -> str | None:
    if value is not None:
        seconds(value, what=what, item=where)
    return value


@dataclass(frozen=True)
class Route:
    """A branch of the policy tree: alerts whose labels match go to ``receiver`` (or a child route).

    Unset timing fields (None) inherit from the parent, as in both engines.
    ``continue_`` lets an alert that matched go on to the next sibling route.
    """

    receiver: str
    matchers: Mapping[str, MatcherValue] = field(default_factory=dict)
    group_by: Sequence[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = False
    mute_timings: Sequence[str] = ()
    routes: Sequence[Route] = ()
    # ``matchers`` checked and in a fixed order; derived, so not an argument.
    label_matchers: tuple[Matcher, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"route to {self.receiver}"
        object.__setattr__(self, "label_matchers", _matchers(dict(self.matchers), where))
        for name, value in (
            ("group_wait", self.group_wait),
            ("group_interval", self.group_interval),
            ("repeat_interval", self.repeat_interval),
        ):
            _duration(value, name, where)
        if self.group_by is not None:
            object.__setattr__(self, "group_by", tuple(self.group_by))
        object.__setattr__(self, "mute_timings", tuple(self.mute_timings))
        object.__setattr__(self, "routes", tuple(self.routes))


@dataclass(frozen=True)
class Policy(Route):
    """The root of the tree: catches every alert no child route takes; must set every timing."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.matchers:
            raise SourceError("the root policy cannot have matchers: it receives every alert")
        missing = [
            name
            for name in ("group_by", "group_wait", "group_interval", "repeat_interval")
            if getattr(self, name) is None
        ]
        if missing:
            raise SourceError(
                f"the root policy needs {', '.join(missing)}",
                hint="child routes inherit them: e.g. group_wait='30s', group_interval='5m', repeat_interval='4h'",
            )


# -- mute timings and templates --------------------------------------------------------------------


@dataclass(frozen=True)
class TimeInterval:
    """When a mute timing applies: weekdays (``"saturday"``, ``"monday:friday"``) and/or clock ranges ("HH:MM", UTC)."""

    weekdays: Sequence[str] = ()
    times: Sequence[tuple[str, str]] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "weekdays", tuple(self.weekdays))
        object.__setattr__(self, "times", tuple(tuple(t) for t in self.times))
        for day_range in self.weekdays:
            for day in day_range.split(":"):
                if day not in WEEKDAYS:
                    raise SourceError(
                        f"weekday {day!r} is not one of {', '.join(WEEKDAYS)}",
                        hint="e.g. 'saturday' or 'monday:friday'",
                    )
        for start, end in self.times:
            if not (_CLOCK.fullmatch(start) and _CLOCK.fullmatch(end)) or start >= end:
                raise SourceError(
                    f"time range {start!r}-{end!r} is not HH:MM-HH:MM with start before end"
                )
        if not (self.weekdays or self.times):
            raise SourceError("a time interval needs weekdays or times")


@dataclass(frozen=True)
class MuteTiming:
    name: str
    intervals: Sequence[TimeInterval]

    def __post_init__(self) -> None:
        if not RECEIVER_NAME.fullmatch(self.name):
            raise SourceError(
                f"mute timing name {self.name!r} is not valid", hint="e.g. 'weekends'"
            )
        object.__setattr__(self, "intervals", tuple(self.intervals))

    def to_dict(self) -> dict:
        """``{name, time_intervals}``: the same shape in Grafana's provisioning and Alertmanager's config."""
        intervals = []
        for interval in self.intervals:
            entry: dict = {}
            if interval.weekdays:
                entry["weekdays"] = list(interval.weekdays)
            if interval.times:
                entry["times"] = [{"start_time": s, "end_time": e} for s, e in interval.times]
            intervals.append(entry)
        return {"name": self.name, "time_intervals": intervals}


@dataclass(frozen=True)
class Template:
    """A notification template: Go template text with ``{{ define "<name>" }}...{{ end }}`` blocks.

    Both Grafana and Alertmanager render notifications from the same data
    (``.Status``, ``.Alerts``, ``.CommonLabels``...), so one text serves both.
    """

    name: str
    text: str

    def __post_init__(self) -> None:
        if not RECEIVER_NAME.fullmatch(self.name):
            raise SourceError(f"template name {self.name!r} is not valid", hint="e.g. 'mlmon'")

    @property
    def defines(self) -> tuple[str, ...]:
        return tuple(re.findall(r'\{\{-?\s*define\s+"([^"]+)"', self.text))


@dataclass(frozen=True)
class Routing:
    contact_points: Sequence[ContactPoint]
    policy: Policy
    mute_timings: Sequence[MuteTiming] = ()
    templates: Sequence[Template] = ()
    # The template used for titles and bodies of Slack, Teams, email and PagerDuty messages.
    title_template: str = "mlmon.title"
    text_template: str = "mlmon.text"

    def __post_init__(self) -> None:
        for name in ("contact_points", "mute_timings", "templates"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not isinstance(self.policy, Policy):
            raise SourceError("routing.policy must be a Policy (the root of the tree)")
        _unique((c.name for c in self.contact_points), "contact point")
        _unique((m.name for m in self.mute_timings), "mute timing")
        _unique((t.name for t in self.templates), "template")
        receivers = self.receiver_names
        timings = {m.name for m in self.mute_timings}
        for route in self.walk():
            if route.receiver not in receivers:
                raise SourceError(
                    f"route receiver {route.receiver!r} is not a contact point",
                    item=str(tuple(map(str, route.label_matchers))) or "root policy",
                    hint=f"use one of {', '.join(sorted(receivers))}",
                )
            unknown = [m for m in route.mute_timings if m not in timings]
            if unknown:
                raise SourceError(
                    f"route to {route.receiver!r} uses undefined mute timing(s) {', '.join(unknown)}"
                )
        defined = {name for t in self.templates for name in t.defines}
        for name in (self.title_template, self.text_template):
            if self.templates and name not in defined:
                raise SourceError(
                    f"template {name!r} is not defined by any Template",
                    hint=f'add {{{{ define "{name}" }}}}...{{{{ end }}}} to a Template',
                )

    @property
    def receiver_names(self) -> set[str]:
        return {c.name for c in self.contact_points}

    def walk(self) -> Iterable[Route]:
        stack: list[Route] = [self.policy]
        while stack:
            route = stack.pop(0)
            yield route
            stack[0:0] = list(route.routes)

    def env_names(self) -> list[str]:
        """Every environment variable the contact points read, sorted."""
        names = {
            value.name
            for point in self.contact_points
            for integration in point.integrations
            for value in vars(integration).values()
            if isinstance(value, Env)
        }
        return sorted(names)


def _unique(names: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SourceError(f"{what} {name!r} is defined twice")
        seen.add(name)


def route_for(routing: Routing, labels: Mapping[str, str]) -> list[Route]:
    """The routes an alert with ``labels`` is delivered by (Alertmanager's matching, ``continue`` included)."""
    return _match(routing.policy, labels)


def _match(route: Route, labels: Mapping[str, str]) -> list[Route]:
    if not all(m.matches(labels.get(m.label)) for m in route.label_matchers):
        return []
    found: list[Route] = []
    for child in route.routes:
        matched = _match(child, labels)
        found.extend(matched)
        if matched and not child.continue_:
            break
    return found or [route]
