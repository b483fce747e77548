"""The trustops configuration (SPEC section 2.1) that points the console at a running fleet."""

from __future__ import annotations

from pathlib import Path

import yaml

TOKEN_ENV = "TRUSTOPS_CONTROL_TOKEN"
DEMO_COLOUR = "green"

_HEADER = (
    "# Written by `trustops fleet`: a trustops configuration for the built-in demo environment.\n"
    f"# The control-plane token is not in this file: trustops reads it from ${TOKEN_ENV}.\n"
)


def fleet_config(
    base_url: str,
    audit_log: Path,
    deployments: list[str],
    store_url: str | None = None,
    prometheus_url: str | None = None,
) -> dict:
    """The configuration as data. Without a store URL the store sits next to the audit log."""
    config: dict = {
        "environment": {"name": "demo", "colour": DEMO_COLOUR},
        "store": store_url or f"sqlite:///{audit_log.parent / 'trustops-demo.db'}",
        "sources": [{"type": "jsonl", "path": str(audit_log)}],
    }
    if prometheus_url:  # the fleet starts no Prometheus: only a URL the user gave goes in
        config["prometheus"] = {"url": prometheus_url}
    config["models"] = {name: f"{base_url}/deployments/{name}/v1" for name in deployments}
    config["control_plane"] = {"url": base_url, "token_env": TOKEN_ENV}
    return config


def write_config(path: str | Path, config: dict) -> Path:
    """Write the YAML file; raises OSError when the path cannot be written."""
    target = Path(path).resolve()
    target.write_text(_HEADER + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target
