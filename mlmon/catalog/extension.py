"""The project's catalog extension: metric families the project queries but mlmon does not export.

One YAML file at the project root, ``catalog.yml`` (``$MLMON_CATALOG``
names another), read by ``mlmon build`` (the query DSL), ``mlmon lint`` and
the alert compiler::

    # Metric families this project queries that mlmon's exporter does not serve.
    families:
      node_cpu_seconds_total:
        type: counter                 # counter, gauge, histogram, summary or unknown
        help: Seconds the CPUs spent in each mode.
        labels: [cpu, mode]           # job and instance are implied
        source: prometheus http://localhost:9090
      apiserver_request_duration_seconds:
        type: histogram               # declares _bucket, _sum and _count
        labels: [resource, verb]
    target_labels: [cluster, namespace]   # what your relabelling adds to every target, up included

``mlmon import`` adds the families (and labels) an imported dashboard's
queries use; ``mlmon catalog pull --prometheus URL`` adds real types, help and
labels from a running Prometheus. Names the exporter declares are refused
here: ``exporter/catalog.py`` stays the truth for the ML metrics.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import yaml

from exporter import catalog as exporter_catalog
from mlmon.catalog import PROMETHEUS_SERIES, Family
from mlmon.errors import MlmonError

FILENAME = "catalog.yml"
ENVIRONMENT_VARIABLE = "MLMON_CATALOG"
TYPES = ("counter", "gauge", "histogram", "summary", "unknown")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_HEADER = (
    "# mlmon catalog extension: metric families this project queries that mlmon's exporter does not serve.\n"
    "# Read by `mlmon build`, `mlmon lint` and the alert compiler; filled by `mlmon import` and\n"
    "# `mlmon catalog pull --prometheus URL`. Edit freely (labels: job and instance are implied).\n"
)


class CatalogFileError(MlmonError):
    """A catalog extension file that cannot be used."""


def path() -> Path:
    """Where the project's extension lives: ``$MLMON_CATALOG`` or ``./catalog.yml``."""
    configured = os.environ.get(ENVIRONMENT_VARIABLE)
    return Path(configured) if configured else Path.cwd() / FILENAME


_cache: dict[Path, tuple[float, Mapping[str, Family]]] = {}
_targets: dict[Path, frozenset[str]] = {}  # the file's target_labels, loaded with its families
_EMPTY: Mapping[str, Family] = MappingProxyType({})


_pending: list[Mapping[str, Family]] = []
_pending_targets: list[frozenset[str]] = []


class declaring:
    """Within ``with declaring(families, target_labels):`` those count as declared too (``mlmon
    import`` checks the module it writes against the extension it is about to write)."""

    def __init__(self, extra: Mapping[str, Family], target_labels: Iterable[str] = ()):
        self.extra = extra
        self.targets = frozenset(target_labels)

    def __enter__(self) -> None:
        _pending.append(self.extra)
        _pending_targets.append(self.targets)

    def __exit__(self, *exc: object) -> None:
        _pending.remove(self.extra)
        _pending_targets.remove(self.targets)


def target_labels(at: Path | None = None) -> frozenset[str]:
    """Labels the project's relabelling adds to every target (beyond job and instance)."""
    _file_families(at)
    found = _targets.get((at or path()).absolute(), frozenset())
    for extra in _pending_targets:
        found |= extra
    return found


def families(at: Path | None = None) -> Mapping[str, Family]:
    """The declared families by name (empty when there is no file); re-read when the file changes."""
    found = _file_families(at)
    if not _pending:
        return found
    combined = dict(found)
    for extra in _pending:
        combined.update(extra)
    return combined


def _file_families(at: Path | None = None) -> Mapping[str, Family]:
    # Asked once per selector by lint and the DSL: absolute() and one stat, not resolve() (a realpath).
    file = (at or path()).absolute()
    try:
        stamp = file.stat().st_mtime_ns
    except OSError:
        _targets.pop(file, None)
        return _EMPTY
    cached = _cache.get(file)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    loaded = MappingProxyType(load(file))
    _cache[file] = (stamp, loaded)
    _targets[file] = frozenset(_load_target_labels(file))
    return loaded


_last_seen: list[object] = [None]


def changed() -> bool:
    """True once after the extension in effect changed (another file, or the file was edited)."""
    file = path().absolute()
    try:
        stamp: object = (file, file.stat().st_mtime_ns)
    except OSError:
        stamp = (file, None)
    if stamp != _last_seen[0]:
        _last_seen[0] = stamp
        return True
    return False


def load(file: Path) -> dict[str, Family]:
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise CatalogFileError(
            f"{file}: cannot read the catalog extension: {exc.strerror}"
        ) from None
    except yaml.YAMLError as exc:
        raise CatalogFileError(f"{file}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or set(data) - {"families", "target_labels"}:
        raise CatalogFileError(f"{file}: expected a mapping with 'families' and 'target_labels'")
    entries = data.get("families") or {}
    if not isinstance(entries, dict):
        raise CatalogFileError(
            f"{file}: 'families' must map metric names to {{type, help, labels}}"
        )
    found: dict[str, Family] = {}
    for name, entry in entries.items():
        found[str(name)] = _family(file, str(name), entry)
    return found


def _load_target_labels(file: Path) -> list[str]:
    data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    labels = data.get("target_labels") or []
    if not isinstance(labels, list) or not all(
        isinstance(label, str) and _LABEL.fullmatch(label) for label in labels
    ):
        raise CatalogFileError(f"{file}: target_labels must be a list of label names")
    return labels


def _family(file: Path, name: str, entry: object) -> Family:
    where = f"{file}: families.{name}"
    if not _NAME.fullmatch(name):
        raise CatalogFileError(f"{where}: not a valid Prometheus metric name")
    if name in exporter_catalog.SERIES or name in exporter_catalog.CATALOG:
        raise CatalogFileError(
            f"{where}: declared by exporter/catalog.py, which stays the truth for ML metrics; remove it here"
        )
    if name in PROMETHEUS_SERIES:
        raise CatalogFileError(
            f"{where}: one of Prometheus's own series, already known; remove it here"
        )
    entry = entry or {}
    if not isinstance(entry, dict) or set(entry) - {"type", "help", "labels", "source"}:
        raise CatalogFileError(f"{where}: expected {{type, help, labels, source}}")
    kind = entry.get("type", "unknown")
    if kind not in TYPES:
        raise CatalogFileError(f"{where}: type {kind!r} is not one of {', '.join(TYPES)}")
    labels = entry.get("labels") or []
    if not isinstance(labels, list) or not all(
        isinstance(label, str) and _LABEL.fullmatch(label) for label in labels
    ):
        raise CatalogFileError(f"{where}: labels must be a list of label names")
    return Family(name, kind, tuple(sorted(set(labels))), str(entry.get("help") or ""), "extension")


@dataclass
class Update:
    """Families to merge into the extension, with where they were seen."""

    families: dict[str, Family] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    target_labels: set[str] = field(default_factory=set)  # seen on every target (up{cluster=...})

    def add(
        self, name: str, kind: str, labels: Iterable[str], help_: str = "", source: str = ""
    ) -> None:
        old = self.families.get(name)
        merged_labels = set(labels) | set(old.labels if old else ())
        kind = kind if kind != "unknown" or old is None else old.type
        self.families[name] = Family(
            name,
            kind,
            tuple(sorted(merged_labels)),
            help_ or (old.help if old else ""),
            "extension",
        )
        if source:
            self.sources.setdefault(name, source)


def merged(current: Mapping[str, Family], update: Update) -> dict[str, Family]:
    """``current`` with ``update`` merged in: labels add up, a known type is never replaced by unknown."""
    out = dict(current)
    for name, family in update.families.items():
        old = out.get(name)
        if old is None:
            out[name] = family
            continue
        kind = family.type if family.type != "unknown" else old.type
        out[name] = replace(
            old,
            type=kind,
            labels=tuple(sorted(set(old.labels) | set(family.labels))),
            help=family.help or old.help,
        )
    return out


def render(
    families_: Mapping[str, Family],
    sources: Mapping[str, str] | None = None,
    previous: Path | None = None,
    target_labels_: Iterable[str] = (),
) -> str:
    """The YAML text of the extension (sorted, stable), keeping the sources and target labels recorded."""
    recorded: dict[str, str] = {}
    targets = set(target_labels_)
    if previous is not None and previous.is_file():
        data = yaml.safe_load(previous.read_text(encoding="utf-8")) or {}
        targets |= set(data.get("target_labels") or [])
        for name, old in (data.get("families") or {}).items():
            if isinstance(old, dict) and old.get("source"):
                recorded[str(name)] = str(old["source"])
    body: dict[str, dict] = {}
    for name in sorted(families_):
        family = families_[name]
        entry: dict[str, object] = {"type": family.type}
        if family.help:
            entry["help"] = family.help
        entry["labels"] = list(family.labels)
        source = recorded.get(name) or (sources or {}).get(name)
        if source:
            entry["source"] = source
        body[name] = entry
    document: dict[str, object] = {}
    if targets - {"job", "instance"}:
        document["target_labels"] = sorted(targets - {"job", "instance"})
    document["families"] = body
    return _HEADER + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )


def write(
    families_: Mapping[str, Family],
    sources: Mapping[str, str] | None = None,
    at: Path | None = None,
    target_labels_: Iterable[str] = (),
) -> Path:
    file = at or path()
    text = render(families_, sources, previous=file, target_labels_=target_labels_)
    scratch = file.with_name(f".{file.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(file)
    _cache.pop(file.absolute(), None)
    return file
