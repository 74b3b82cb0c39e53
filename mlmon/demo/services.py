"""Local child processes on 127.0.0.1: started with their output in a log file, checked, stopped in reverse order.

The one process manager of the project: ``mlmon demo``, ``mlmon lint
--live-demo`` and the test suite (``tests/support/processes.py``) all start
their API, exporter and Prometheus through :class:`Service`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


def pick_port(preferred: int = 0) -> int:
    """``preferred`` when it is free on 127.0.0.1 (so the URLs match the docs), else any free port."""
    for port in dict.fromkeys((preferred, 0)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("no free TCP port on 127.0.0.1")


class ServiceError(RuntimeError):
    """A service that exited or never became ready; the message quotes the end of its log."""


@dataclass
class Service:
    """One child process; ``ready_url`` (optional) answers 200 once it serves."""

    name: str
    args: list[str]
    log_path: Path
    ready_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    popen: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    def start(self) -> Service:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        # Own session: a Ctrl-C in the terminal reaches only the demo, which then
        # stops the services in order (the API last-but-one, so it can flush its log).
        self.popen = subprocess.Popen(
            self.args,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        return self

    def wait_ready(self, timeout: float) -> None:
        if self.ready_url is None:
            self.check_alive()
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise ServiceError(
            f"{self.name} did not answer {self.ready_url} within {timeout:.0f}s; "
            f"log {self.log_path}:\n{self.log_tail()}"
        )

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise ServiceError(
                f"{self.name} exited with code {self.popen.returncode}; "
                f"log {self.log_path}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 15) -> str:
        if self._log:
            self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15.0) -> int | None:
        """Terminate (then kill) the process; its exit code."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self._log:
            self._log.close()
            self._log = None
        return self.popen.returncode if self.popen is not None else None

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ServiceGroup:
    """Services started in order and stopped in reverse order, whatever happens."""

    def __init__(self) -> None:
        self.services: list[Service] = []

    def start(self, service: Service, ready_timeout: float = 60.0) -> Service:
        self.services.append(service)
        service.start()
        service.wait_ready(ready_timeout)
        return service

    def start_on_port(
        self,
        make: Callable[[int], Service],
        preferred: int,
        ready_timeout: float = 60.0,
        tries: int = 3,
    ) -> tuple[Service, int]:
        """Start ``make(port)`` on ``preferred`` when free, else on any free port. Another process can take
        a port between the check and the service binding it (other demos and test runs on the machine):
        a service that exits because its address is in use is started again on another free port."""
        port = pick_port(preferred)
        for attempt in range(tries):
            try:
                return self.start(make(port), ready_timeout), port
            except ServiceError as exc:
                if "address already in use" not in str(exc).lower() or attempt == tries - 1:
                    raise
                self.services.pop()  # the one that could not bind has exited
                port = pick_port(0)
        raise AssertionError("unreachable")

    def check_alive(self) -> None:
        for service in self.services:
            service.check_alive()

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()

    def __enter__(self) -> ServiceGroup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
