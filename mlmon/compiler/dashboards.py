"""Compile ``dashboards_src/`` into ``dashboards/<uid>.json`` files, in memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlmon.compiler.loader import display_path, load, source_modules
from mlmon.compiler.normalise import normalise
from mlmon.compiler.render import render
from mlmon.compiler.validate import validate
from mlmon.errors import MlmonError, SourceError

OUTPUT_DIR = "dashboards"
_PACKAGE = "mlmon_dashboards_src"


class BuildFailed(MlmonError):
    """One or more sources failed; ``errors`` holds every problem found, each naming its file."""

    def __init__(self, errors: list[SourceError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


def _with_source(error: SourceError, source: str) -> SourceError:
    return SourceError(
        error.message,
        source=error.source or source,
        item=error.item,
        json_path=error.json_path,
        hint=error.hint,
    )


def compile_dashboard(value: Any, source: str) -> dict:
    """The normalised, validated model of one dashboard; BuildFailed lists every problem."""
    try:
        model = normalise(value)
    except SourceError as exc:
        raise BuildFailed([_with_source(exc, source)]) from None
    problems = validate(model)
    if problems:
        raise BuildFailed([_with_source(p, source) for p in problems])
    return model


def compile_dashboards(src_dir: Path) -> dict[str, bytes]:
    """``{"dashboards/<uid>.json": bytes}`` for every module of ``src_dir``; BuildFailed if any is broken."""
    outputs: dict[str, bytes] = {}
    owners: dict[str, str] = {}
    titles: dict[str, str] = {}
    errors: list[SourceError] = []
    for path in source_modules(src_dir):
        label = display_path(path)
        try:
            loaded = load(path, "dashboard", _PACKAGE)
            model = compile_dashboard(loaded.value, label)
            data = render(model)
        except BuildFailed as exc:
            errors.extend(exc.errors)
            continue
        except SourceError as exc:
            errors.append(_with_source(exc, label))
            continue
        uid, title = model["uid"], model["title"]
        if uid in owners:
            errors.append(
                SourceError(
                    f"uid {uid!r} is also used by {owners[uid]}",
                    source=label,
                    json_path="uid",
                    hint="every dashboard needs its own uid",
                )
            )
            continue
        if title in titles:
            errors.append(
                SourceError(
                    f"title {title!r} is also used by {titles[title]}",
                    source=label,
                    json_path="title",
                    hint="Grafana refuses two dashboards with one title in a folder",
                )
            )
            continue
        owners[uid], titles[title] = label, label
        outputs[f"{OUTPUT_DIR}/{uid}.json"] = data
    if errors:
        raise BuildFailed(errors)
    return outputs
