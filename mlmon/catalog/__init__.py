"""Every metric name a query may use: the exporter's catalog, Prometheus's own series, the project's extension.

Three sources, one lookup:

- ``exporter/catalog.py``: the ML metrics mlmon's exporter and instrumentation
  serve (the source of truth for them; ``exporter`` never imports ``mlmon``);
- :data:`PROMETHEUS_SERIES`: the series Prometheus writes itself for every
  scrape target (``up``, ``scrape_duration_seconds``…) and for alerts;
- the project's catalog extension (``catalog.yml`` at the project root, see
  :mod:`mlmon.catalog.extension`): metric families mlmon does not export
  (node_exporter, kube-state-metrics…), filled by ``mlmon import`` and
  ``mlmon catalog pull``.

The query DSL, the alert compiler and ``mlmon lint`` all ask this module, and
all suggest names through :func:`suggest`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from exporter import catalog as exporter_catalog
from exporter.catalog import MetricType

# Labels Prometheus attaches to every scraped series (the scrape config's target labels).
TARGET_LABELS = frozenset({"job", "instance"})
# Series Prometheus writes itself, with the labels they carry (None: the alert's own labels).
PROMETHEUS_SERIES: Mapping[str, frozenset[str] | None] = MappingProxyType(
    {
        "up": TARGET_LABELS,
        "scrape_duration_seconds": TARGET_LABELS,
        "scrape_samples_scraped": TARGET_LABELS,
        "scrape_samples_post_metric_relabeling": TARGET_LABELS,
        "scrape_series_added": TARGET_LABELS,
        "ALERTS": None,
        "ALERTS_FOR_STATE": None,
    }
)
# Sample suffixes of histograms and summaries (their family has no series of its own name).
_FAMILY_SUFFIXES = ("_bucket", "_sum", "_count")


@dataclass(frozen=True)
class Family:
    """A metric family as any of the three sources declares it."""

    name: str
    type: str  # counter, gauge, histogram, summary, unknown
    labels: tuple[str, ...]
    help: str = ""
    origin: str = "exporter"  # exporter, prometheus or extension

    @property
    def series_names(self) -> tuple[str, ...]:
        if self.type == "histogram":
            return tuple(f"{self.name}{suffix}" for suffix in _FAMILY_SUFFIXES)
        if self.type == "summary":
            return (self.name, f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


def _extension() -> Mapping[str, Family]:
    from mlmon.catalog import extension

    return extension.families()


def family_of(sample: str) -> Family | None:
    """The family that declares series ``sample`` (None when no source does)."""
    metric = exporter_catalog.SERIES.get(sample)
    if metric is not None:
        return Family(metric.name, metric.type.value, metric.labels, metric.help, "exporter")
    if sample in PROMETHEUS_SERIES:
        labels = PROMETHEUS_SERIES[sample]
        return Family(sample, "gauge", tuple(sorted(labels or ())), "", "prometheus")
    return extension_family_of(sample)


def extension_family_of(sample: str) -> Family | None:
    families = _extension()
    if not families:
        return None
    found = families.get(sample)
    if found is not None and found.type not in ("histogram",):
        return found
    for suffix in _FAMILY_SUFFIXES:
        if sample.endswith(suffix):
            base = families.get(sample.removesuffix(suffix))
            if base is not None and sample in base.series_names:
                return base
    return found


def is_declared(sample: str) -> bool:
    return family_of(sample) is not None


def sample_labels(sample: str | None) -> frozenset[str] | None:
    """The labels series ``sample`` carries (target labels included); None when unknown."""
    if sample is None:
        return None
    targets = target_labels()
    if sample in PROMETHEUS_SERIES:
        known = PROMETHEUS_SERIES[sample]
        return None if known is None else known | targets
    metric = exporter_catalog.SERIES.get(sample)
    if metric is not None:
        extra = (
            {"le"} if metric.type is MetricType.HISTOGRAM and sample.endswith("_bucket") else set()
        )
        return frozenset(metric.labels) | targets | extra
    family = extension_family_of(sample)
    if family is None:
        return None
    extra = {"le"} if family.type == "histogram" and sample.endswith("_bucket") else set()
    extra |= {"quantile"} if family.type == "summary" and sample == family.name else set()
    return frozenset(family.labels) | targets | extra


def target_labels() -> frozenset[str]:
    """Labels on every scraped series: job and instance, and what the project's relabelling adds."""
    from mlmon.catalog import extension

    return TARGET_LABELS | extension.target_labels()


def exporter_base_name(name: str) -> bool:
    """``name`` is an exporter histogram's base name, which Prometheus never stores as a series."""
    metric = exporter_catalog.CATALOG.get(name)
    return metric is not None and metric.type is MetricType.HISTOGRAM


def all_series() -> list[str]:
    names = [*exporter_catalog.SERIES, *PROMETHEUS_SERIES]
    for family in _extension().values():
        names.extend(family.series_names)
    return names


# ------------------------------------------------------------------- suggestions


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions ("mdoe" → "mode" is one edit); limit + 1 past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i]
        for j in range(1, len(b) + 1):
            cost = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1])
            )
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _same_family(word: str, choice: str) -> bool:
    """Metric names share their first ``_`` token (the namespace); single words their first letter."""
    if "_" in word and "_" in choice:
        return word.split("_", 1)[0].lower() == choice.split("_", 1)[0].lower()
    return word[:1].lower() == choice[:1].lower()


def suggest(word: str, choices: Iterable[str], *, limit: int = 3) -> list[str]:
    """Names a typo of ``word`` plausibly meant: same family prefix, a small edit distance.

    ``node_cpu_seconds_total`` gets no suggestion from the ML catalog (no
    ``node_`` family there); ``api_request_total`` gets ``api_requests_total``.
    The allowed distance grows with the word (a third of it, at most 4 edits).
    """
    allowed = max(1, min(4, len(word) // 3))
    scored = []
    for choice in set(choices):
        if choice == word or not _same_family(word, choice):
            continue
        distance = _distance(word, choice, allowed)
        if distance <= allowed:
            scored.append((distance, choice))
    return [choice for _, choice in sorted(scored)[:limit]]


def did_you_mean(word: str, choices: Iterable[str], otherwise: str) -> str:
    """A hint: the plausible names, or ``otherwise`` when there is none."""
    close = suggest(word, choices)
    return f"did you mean {', '.join(close)}?" if close else otherwise
