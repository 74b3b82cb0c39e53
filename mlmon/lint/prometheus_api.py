"""The few Prometheus HTTP API calls the live check makes (standard library only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

import promql_parser
import yaml

from mlmon.errors import MlmonError


class PrometheusUnavailable(MlmonError):
    """Prometheus cannot be reached or does not answer like Prometheus (the CLI exits with 2)."""


class QueryFailed(Exception):
    """Prometheus rejected one query; the message is Prometheus's own."""


class PrometheusAPI:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: list[tuple[str, str]]) -> Any:
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as err:
            body = err.read()
            if err.code not in (400, 422, 503):
                raise PrometheusUnavailable(
                    f"{self.url}: HTTP {err.code} for /api/v1/{path}"
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise PrometheusUnavailable(
                f"cannot reach Prometheus at {self.url} ({reason}); start it or pass --prometheus URL"
            ) from None
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            raise PrometheusUnavailable(
                f"{self.url} does not answer like Prometheus (/api/v1/{path})"
            ) from None
        if payload.get("status") != "success":
            raise QueryFailed(
                f"{payload.get('errorType', 'error')}: {payload.get('error', 'unknown error')}"
            )
        return payload["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self._get("query", [("query", expr)])
        result = data.get("result")
        if data.get("resultType") in ("scalar", "string"):
            return [{"value": result}]
        return result or []

    def label_values(self, label: str, match: str | None) -> list[str]:
        params = [("match[]", match)] if match else []
        return list(self._get(f"label/{urllib.parse.quote(label)}/values", params))

    def scrape_interval(self) -> timedelta:
        """The global scrape interval from Prometheus's running configuration (default 1m)."""
        config = yaml.safe_load(self._get("status/config", [])["yaml"]) or {}
        text = str((config.get("global") or {}).get("scrape_interval", "1m"))
        return parse_duration(text)


def parse_duration(text: str) -> timedelta:
    return promql_parser.parse_duration(text)
