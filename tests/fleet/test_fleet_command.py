"""`trustops fleet` (connectors.fleet.command.run): config writing, usage errors, Ctrl-C."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from connectors.fleet.command import add_arguments, run

ROOT = Path(__file__).resolve().parents[2]


def _args(tmp_path: Path, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(["--audit-log", str(tmp_path / "audit.jsonl"), *argv])


def test_write_config_points_at_the_fleet_without_the_token(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("TRUSTOPS_CONTROL_TOKEN", raising=False)
    config_path = tmp_path / "trustops.yaml"
    assert run(_args(tmp_path, "--write-config", str(config_path), "--duration", "0.3", "--speed", "60")) == 0
    out = capsys.readouterr().out
    token_lines = [line for line in out.splitlines() if line.strip().startswith("control token")]
    assert len(token_lines) == 1
    token = token_lines[0].split()[-1]
    assert len(token) >= 20 and out.count(token) == 1  # printed once
    text = config_path.read_text(encoding="utf-8")
    assert token not in text
    config = yaml.safe_load(text)
    assert config["environment"]["name"] == "demo" and config["environment"]["colour"]
    assert config["sources"] == [{"type": "jsonl", "path": str(tmp_path / "audit.jsonl")}]
    assert config["store"].startswith("sqlite:///")
    base = config["control_plane"]["url"]
    assert (
        base.startswith("http://127.0.0.1:")
        and config["control_plane"]["token_env"] == "TRUSTOPS_CONTROL_TOKEN"
    )
    assert config["models"]["support-assistant"] == f"{base}/deployments/support-assistant/v1"
    assert set(config["models"]) == {"support-assistant", "billing-agent", "rag-search"}
    assert "prometheus" not in config  # the fleet starts no Prometheus
    assert token not in (tmp_path / "audit.jsonl").read_text(encoding="utf-8")


def test_a_token_from_the_environment_is_not_printed(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTOPS_CONTROL_TOKEN", "env-token-value-123")
    assert run(_args(tmp_path, "--duration", "0")) == 0
    out = capsys.readouterr().out
    assert "env-token-value-123" not in out and "$TRUSTOPS_CONTROL_TOKEN" in out


def _usage_error(tmp_path: Path, capsys, *argv: str) -> str:
    assert run(_args(tmp_path, "--duration", "0", *argv)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    return lines[0]


def test_unknown_scenario(tmp_path, capsys) -> None:
    assert "unknown scenario 'nope'" in _usage_error(tmp_path, capsys, "--scenario", "nope")


def test_negative_speed(tmp_path, capsys) -> None:
    assert "--speed" in _usage_error(tmp_path, capsys, "--speed", "-1")


def test_unwritable_audit_log(tmp_path, capsys) -> None:
    line = _usage_error(tmp_path, capsys, "--audit-log", str(tmp_path / "missing" / "audit.jsonl"))
    assert "audit log" in line


def test_unwritable_config(tmp_path, capsys) -> None:
    assert "config" in _usage_error(tmp_path, capsys, "--write-config", str(tmp_path / "missing" / "c.yaml"))


def test_port_in_use(tmp_path, capsys) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert f"127.0.0.1:{port}" in _usage_error(tmp_path, capsys, "--port", str(port))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_exits_0_without_a_traceback(tmp_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TRUSTOPS_CONTROL_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "connectors.fleet", "--audit-log", str(tmp_path / "a.jsonl"), "--speed", "30"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stdout:
            if line.startswith("Press Ctrl-C"):
                break
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err and err == ""
    assert "stopped" in out
