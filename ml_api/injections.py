"""What the traffic simulator can inject, and when: ``KIND[:ARG][@START[-END]]`` specs.

Times are seconds from the start of the run; without ``@`` an injection lasts
the whole run, ``@START`` lasts from START to the end.

==================  ======================================================  ==================
kind                effect                                                  ARG (default)
==================  ======================================================  ==================
drift               covariate drift in the named feature(s), comma-separated  feature names
unseen_category     a neighbourhood the model never saw (the API answers 422) share (1.0)
missing             optional features left out (accepted, logged as missing)   share (1.0)
malformed           wrong types / missing required fields (422)                share (1.0)
degraded            biased ground truth: actual = true price x 1.35, or the  share (1.0)
                    wrong band (the model's accuracy drops)
latency             the API waits before answering (needs ML_API_FAULTS=1)     seconds (0.5)
errors              the API answers 503 (needs ML_API_FAULTS=1)                share (1.0)
==================  ======================================================  ==================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ml_api.housing import FEATURE_NAMES

KINDS = ("drift", "unseen_category", "missing", "malformed", "degraded", "latency", "errors")
_SPEC = re.compile(
    r"(?P<kind>[a-z_]+)(?::(?P<arg>[^@]+))?(?:@(?P<start>[0-9.]+)(?:-(?P<end>[0-9.]+))?)?"
)


@dataclass(frozen=True)
class Injection:
    kind: str
    start: float = 0.0
    end: float | None = None
    features: tuple[str, ...] = ()  # drift
    amount: float = 1.0  # share of requests affected, or seconds for latency

    def active(self, elapsed: float) -> bool:
        return self.start <= elapsed and (self.end is None or elapsed < self.end)

    def __str__(self) -> str:
        what = ",".join(self.features) if self.features else f"{self.amount:g}"
        until = f"{self.end:g}s" if self.end is not None else "end"
        return f"{self.kind}:{what} from {self.start:g}s to {until}"


def parse_injection(text: str) -> Injection:
    """Parse one ``--inject`` value; ValueError says what is wrong and what is allowed."""
    match = _SPEC.fullmatch(text.strip())
    if not match:
        raise ValueError(
            f"cannot parse injection {text!r}; expected KIND[:ARG][@START[-END]], "
            "e.g. drift:living_area_sqft@10-30"
        )
    kind, arg = match["kind"], match["arg"]
    if kind not in KINDS:
        raise ValueError(f"unknown injection {kind!r}; choose from {', '.join(KINDS)}")
    start = float(match["start"] or 0.0)
    end = float(match["end"]) if match["end"] else None
    if end is not None and end <= start:
        raise ValueError(f"injection {text!r}: END must be after START")
    if kind == "drift":
        features = tuple(f.strip() for f in (arg or "").split(",") if f.strip())
        unknown = [f for f in features if f not in FEATURE_NAMES]
        if not features or unknown:
            raise ValueError(
                f"drift needs feature names from {', '.join(FEATURE_NAMES)}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        return Injection(kind, start, end, features=features)
    default = 0.5 if kind == "latency" else 1.0
    try:
        amount = float(arg) if arg else default
    except ValueError:
        raise ValueError(f"injection {text!r}: {arg!r} is not a number") from None
    if kind == "latency" and not 0 < amount <= 5:
        raise ValueError("latency must be between 0 and 5 seconds (the API caps it at 5)")
    if kind != "latency" and not 0 < amount <= 1:
        raise ValueError(f"{kind}: the share of requests must be in (0, 1]")
    return Injection(kind, start, end, amount=amount)
