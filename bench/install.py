"""Installing what the benchmark needs, at bench time, into .bench/ (never committed)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.paths import WORK

INSTALL_TIMEOUT = 600


def _for_this_python(name: str) -> Path:
    """A venv of the interpreter running the harness: every target of a run then
    runs on one interpreter, and a run from another one gets venvs of its own."""
    identity = f"{sys.base_prefix}|{sys.version}".encode()
    return WORK / f"{name}-{hashlib.sha256(identity).hexdigest()[:10]}"


def _run(argv: list[str], what: str) -> None:
    print(f"  installing {what}: {' '.join(argv)}", flush=True)
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    if done.returncode != 0:
        tail = f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        raise RuntimeError(f"installing {what} failed:\n{tail}")


def ensure_wrk() -> None:
    """wrk from Debian's packages."""
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0:
        raise RuntimeError("wrk is missing and we are not root: apt-get install wrk")
    env_noninteractive = ["env", "DEBIAN_FRONTEND=noninteractive"]
    _run([*env_noninteractive, "apt-get", "update", "-qq"], "package lists")
    _run([*env_noninteractive, "apt-get", "install", "-y", "-qq", "wrk"], "wrk")


def _venv(path: Path, packages: list[str], probe: str) -> Path:
    python = path / "bin" / "python"
    if python.exists() and _imports(python, probe):
        return python
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(path)], f"venv {path.name}")
    _run([str(python), "-m", "pip", "install", "-q", *packages], ", ".join(packages))
    return python


def _imports(python: Path, modules: str) -> bool:
    done = subprocess.run(
        [str(python), "-c", f"import {modules}"], capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def ensure_isso() -> Path:
    """Isso from PyPI with gunicorn in its own venv; returns the venv's bin/."""
    venv = _for_this_python("isso-venv")
    _venv(venv, ["isso", "gunicorn"], "isso, gunicorn")
    return venv / "bin"


# What each server needs to run as it is deployed (targets.asgi_server_argv).
SERVER_MODULES = {"granian": "granian", "uvicorn": "uvicorn, uvloop, httptools"}


def ceiling_python(byline_python: Path | None, server: str) -> Path:
    """A Python with litestar and the chosen server for the ceiling apps.

    Byline's own environment is preferred, so the ceiling runs on exactly the
    same framework and server versions; otherwise a bench-only venv.
    """
    probe = "litestar, " + SERVER_MODULES[server]
    if byline_python and byline_python.exists() and _imports(byline_python, probe):
        return byline_python
    packages = ["litestar", "granian", "uvicorn", "uvloop", "httptools"]
    return _venv(_for_this_python("ceiling-venv"), packages, probe)


def versions(python: Path, packages: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, platform, sys\n"
        "out = {'python': platform.python_version() + ' (' + sys.base_prefix + ')'}\n"
        "for p in sys.argv[1:]:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    done = subprocess.run(
        [str(python), "-c", code, *packages],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stdout) if done.returncode == 0 else {}
