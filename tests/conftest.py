import os, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_py(*args, env=None, timeout=600, cwd=ROOT):
    "Run `python *args` in a fresh process from the repository root; returns the CompletedProcess."
    e = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def py():
    return run_py
