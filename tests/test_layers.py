"""The dependency rule of SPEC 1, checked mechanically: the import-linter contracts of pyproject.toml,
and the non-UI layers importable without Textual (checked in a fresh interpreter, as Harlequin does)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def test_import_linter_contracts_are_configured():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {c["type"]: c for c in cfg["contracts"]}
    layers = contracts["layers"]["layers"]
    # core <- connectors <- playbooks <- tui / cli, highest first
    assert layers.index("console.core") > layers.index("connectors") > layers.index("playbooks")
    assert layers.index("playbooks") > layers.index("console.tui")
    assert layers.index("playbooks") > layers.index("console.cli")
    forbidden = contracts["forbidden"]
    assert "textual" in forbidden["forbidden_modules"]
    assert {"console.core", "connectors", "playbooks"} <= set(forbidden["source_modules"])


def test_import_linter_contracts_hold():
    proc = subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "broken" not in proc.stdout.lower().replace("0 broken", "")


def _modules(package: str) -> list[str]:
    """A package and every module under it (``__main__`` modules excluded: they run things)."""
    mod = __import__(package, fromlist=["__path__"])
    out = [package]
    for info in pkgutil.walk_packages(mod.__path__, prefix=f"{package}."):
        if not info.name.endswith("__main__"):
            out.append(info.name)
    return out


def test_core_connectors_and_playbooks_import_without_textual():
    modules = [*_modules("console.core"), *_modules("connectors"), *_modules("playbooks")]
    assert "console.core.events" in modules and "connectors.jsonl" in modules
    probe = textwrap.dedent(
        """
        import importlib, json, sys
        failed = {}
        for name in sys.argv[1:]:
            try:
                importlib.import_module(name)
            except Exception as exc:  # reported, not hidden
                failed[name] = f"{type(exc).__name__}: {exc}"
        leaked = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
        print(json.dumps({"failed": failed, "textual": leaked[:5], "console_tui": "console.tui" in sys.modules}))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *modules], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["failed"] == {}
    assert result["textual"] == [], f"Textual imported by a non-UI layer: {result['textual']}"
    assert result["console_tui"] is False
