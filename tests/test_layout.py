"""The layout's rules hold: imports run one way between apps, and imports inside functions say why."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from scripts.inner_imports import unexplained

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_are_kept():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout and "0 broken" in result.stdout


def test_every_import_inside_a_function_says_why():
    result = subprocess.run(
        [sys.executable, "scripts/inner_imports.py"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout


def test_the_checker_finds_an_unexplained_inner_import(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text(
        textwrap.dedent(
            """
            import os


            def quiet():
                import json
                return json


            def explained():
                import csv  # only this rare path needs it
                return csv
            """
        )
    )
    ast.parse(module.read_text())  # the probe itself is valid Python
    found = unexplained(module, root=tmp_path)
    assert found == ["probe.py:6: import json"]
