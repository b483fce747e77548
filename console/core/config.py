"""The trustops YAML configuration (SPEC 2.1), validated with errors that name the key and line.

Secrets never live here: ``control_plane.token_env`` names an environment variable, and a key
that looks like it holds a token is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from console.core.errors import UserError
from console.core.paths import config_dir
from console.core.redaction import RedactionPolicy, RedactionPolicyError

KPI_NAMES = (
    "conversations", "complaint_rate", "negative_feedback_rate", "escalation_rate", "injection_rate",
    "pii_leak_rate", "secret_leaks", "unauthorized_tool_rate", "guardrail_block_rate", "ungrounded_rate",
    "error_rate", "latency_p95_ms", "resolution_rate",
)  # fmt: skip
TOP_KEYS = (
    "environment", "operator", "store", "sources", "prometheus", "models", "control_plane", "slos",
    "redaction", "canary_tokens", "playbook_dirs", "keymap", "ingest",
)  # fmt: skip
DEFAULT_TOKEN_ENV = "TRUSTOPS_CONTROL_TOKEN"

if TYPE_CHECKING:
    import yaml


class ConfigError(UserError, ValueError):
    """A configuration problem: ``file:line: key: reason``."""


@dataclass(slots=True)
class Source:
    type: str
    path: str | None = None
    listen: str | None = None


@dataclass(slots=True)
class Config:
    path: Path | None = None
    environment: str = "local"
    colour: str | None = None
    operator: str | None = None
    store: str | None = None
    sources: list[Source] = field(default_factory=list)
    prometheus_url: str | None = None
    prometheus_queries: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    control_plane_url: str | None = None
    token_env: str = DEFAULT_TOKEN_ENV
    slos: dict[str, dict[str, float]] = field(default_factory=dict)
    redaction: dict[str, str] = field(default_factory=dict)
    redact_at_ingest: bool = False
    canary_tokens: list[str] = field(default_factory=list)
    playbook_dirs: list[Path] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)
    max_line_bytes: int | None = None

    @property
    def is_production(self) -> bool:
        return self.environment.lower() in ("prod", "production")

    def control_token(self) -> str | None:
        return os.environ.get(self.token_env) or None

    def operator_name(self) -> str:
        return self.operator or os.environ.get("TRUSTOPS_OPERATOR") or os.environ.get("USER") or "operator"


def find_config(explicit: str | None) -> Path | None:
    """--config, else ./trustops.yaml, else the XDG config dir; None when there is none."""
    if explicit:
        return Path(explicit)
    for candidate in (Path("trustops.yaml"), config_dir() / "trustops.yaml"):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: str | None = None, *, required: bool = False) -> Config:
    path = find_config(explicit)
    if path is None:
        if required:
            raise ConfigError("no configuration: pass --config FILE or create ./trustops.yaml")
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_config(text, path)


def _load_yaml() -> None:
    """PyYAML, imported when there is YAML to read (a console started without a config file, or
    a ``Config`` built in code, never needs it)."""
    global yaml
    import yaml


def parse_config(text: str, path: Path | None = None) -> Config:
    _load_yaml()
    where = str(path) if path else "<config>"
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    cfg = Config(path=path)
    if node is None:
        return cfg
    v = _Validator(where)
    top = v.mapping(node, "")
    for key, (knode, vnode) in top.items():
        if key not in TOP_KEYS:
            raise v.error(knode, key, f"unknown key (expected one of: {', '.join(TOP_KEYS)})")
        getattr(v, f"_{key}")(cfg, vnode)
    base = path.parent if path else Path.cwd()
    cfg.playbook_dirs = [p if p.is_absolute() else base / p for p in cfg.playbook_dirs]
    for s in cfg.sources:
        if s.path and not os.path.isabs(s.path):
            s.path = str(base / s.path)
    return cfg


_SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey")


def _looks_secret(parent: str, name: str) -> bool:
    lowered = name.lower()
    if lowered.endswith("_env") or (parent == "" and name == "canary_tokens"):
        return False
    return parent.split(".")[0] not in ("slos", "redaction") and any(w in lowered for w in _SECRET_WORDS)


class _Validator:
    def __init__(self, where: str) -> None:
        self.where = where

    def error(self, node: yaml.Node, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.where}:{node.start_mark.line + 1}: {key}: {reason}")

    def mapping(self, node: yaml.Node, key: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, key or "(top level)", "must be a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, val in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k.value)
            full = f"{key}.{name}" if key else name
            if name in out:
                raise self.error(k, full, "given twice")
            if _looks_secret(key, name):
                raise self.error(
                    k, full, "secrets do not belong in the config; name an environment variable (…_env)"
                )
            out[name] = (k, val)
        return out

    def scalar(self, node: yaml.Node, key: str, kind: type | tuple[type, ...] = str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, key, f"must be a {_kind_name(kind)}")
        value = yaml.safe_load(yaml.serialize(node)) if node.tag != "tag:yaml.org,2002:str" else node.value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.error(node, key, f"must be a {_kind_name(kind)}, got {value!r}")
        return value

    def seq(self, node: yaml.Node, key: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, key, "must be a list")
        return list(node.value)

    def str_map(self, node: yaml.Node, key: str) -> dict[str, str]:
        return {k: self.scalar(vn, f"{key}.{k}") for k, (_, vn) in self.mapping(node, key).items()}

    # -- one method per top-level key ----------------------------------------------------------
    def _environment(self, cfg: Config, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode):
            cfg.environment = self.scalar(node, "environment")
            return
        for k, (kn, vn) in self.mapping(node, "environment").items():
            if k == "name":
                cfg.environment = self.scalar(vn, "environment.name")
            elif k in ("colour", "color"):
                cfg.colour = self.scalar(vn, f"environment.{k}")
            else:
                raise self.error(kn, f"environment.{k}", "unknown key (expected name, colour)")

    def _operator(self, cfg: Config, node: yaml.Node) -> None:
        cfg.operator = self.scalar(node, "operator")

    def _store(self, cfg: Config, node: yaml.Node) -> None:
        url = self.scalar(node, "store")
        if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise self.error(node, "store", f"unsupported URL {url!r} (use sqlite:///PATH or postgresql://…)")
        cfg.store = url

    def _sources(self, cfg: Config, node: yaml.Node) -> None:
        for i, item in enumerate(self.seq(node, "sources")):
            key = f"sources.{i}"
            m = self.mapping(item, key)
            if "type" not in m:
                raise self.error(item, f"{key}.type", "missing")
            kind = self.scalar(m["type"][1], f"{key}.type")
            if kind in ("jsonl", "otlp"):
                if "path" not in m:
                    raise self.error(item, f"{key}.path", f"missing (a {kind} source reads a file)")
                cfg.sources.append(Source(kind, path=self.scalar(m["path"][1], f"{key}.path")))
            elif kind == "otlp_http":
                if "listen" not in m:
                    raise self.error(item, f"{key}.listen", "missing (HOST:PORT)")
                cfg.sources.append(Source(kind, listen=self.scalar(m["listen"][1], f"{key}.listen")))
            else:
                raise self.error(
                    m["type"][1], f"{key}.type", f"unknown source type {kind!r} (jsonl, otlp, otlp_http)"
                )
            for k, (kn, _) in m.items():
                if k not in ("type", "path", "listen"):
                    raise self.error(kn, f"{key}.{k}", "unknown key")

    def _prometheus(self, cfg: Config, node: yaml.Node) -> None:
        for k, (kn, vn) in self.mapping(node, "prometheus").items():
            if k == "url":
                if not (isinstance(vn, yaml.ScalarNode) and vn.value in ("", "null", "~")):
                    cfg.prometheus_url = _url(self, vn, "prometheus.url")
            elif k == "queries":
                queries = self.str_map(vn, "prometheus.queries")
                for name, (qk, _) in self.mapping(vn, "prometheus.queries").items():
                    if name not in KPI_NAMES:
                        raise self.error(qk, f"prometheus.queries.{name}", "not a KPI name")
                cfg.prometheus_queries = queries
            else:
                raise self.error(kn, f"prometheus.{k}", "unknown key (expected url, queries)")

    def _models(self, cfg: Config, node: yaml.Node) -> None:
        cfg.models = {k: _url(self, vn, f"models.{k}") for k, (_, vn) in self.mapping(node, "models").items()}

    def _control_plane(self, cfg: Config, node: yaml.Node) -> None:
        for k, (kn, vn) in self.mapping(node, "control_plane").items():
            if k == "url":
                cfg.control_plane_url = _url(self, vn, "control_plane.url")
            elif k == "token_env":
                cfg.token_env = self.scalar(vn, "control_plane.token_env")
            else:
                raise self.error(kn, f"control_plane.{k}", "unknown key (expected url, token_env)")

    def _slos(self, cfg: Config, node: yaml.Node) -> None:
        for kpi, (kn, vn) in self.mapping(node, "slos").items():
            if kpi not in KPI_NAMES:
                raise self.error(kn, f"slos.{kpi}", f"not a KPI name (one of: {', '.join(KPI_NAMES)})")
            levels: dict[str, float] = {}
            for lvl, (ln, lv) in self.mapping(vn, f"slos.{kpi}").items():
                if lvl not in ("warn", "breach"):
                    raise self.error(ln, f"slos.{kpi}.{lvl}", "unknown key (expected warn, breach)")
                levels[lvl] = self.scalar(lv, f"slos.{kpi}.{lvl}", float)
            cfg.slos[kpi] = levels

    def _redaction(self, cfg: Config, node: yaml.Node) -> None:
        for k, (_, vn) in self.mapping(node, "redaction").items():
            if k == "at_ingest":
                cfg.redact_at_ingest = self.scalar(vn, "redaction.at_ingest", bool)
                continue
            action = self.scalar(vn, f"redaction.{k}")
            try:
                RedactionPolicy.from_mapping({k: action})  # knows the types and the actions
            except RedactionPolicyError as exc:
                raise self.error(vn, f"redaction.{k}", str(exc).removeprefix(f"redaction.{k}: ")) from None
            cfg.redaction[k] = action

    def _canary_tokens(self, cfg: Config, node: yaml.Node) -> None:
        cfg.canary_tokens = [
            self.scalar(n, f"canary_tokens.{i}") for i, n in enumerate(self.seq(node, "canary_tokens"))
        ]

    def _playbook_dirs(self, cfg: Config, node: yaml.Node) -> None:
        cfg.playbook_dirs = [
            Path(self.scalar(n, f"playbook_dirs.{i}")) for i, n in enumerate(self.seq(node, "playbook_dirs"))
        ]

    def _keymap(self, cfg: Config, node: yaml.Node) -> None:
        cfg.keymap = self.str_map(node, "keymap")

    def _ingest(self, cfg: Config, node: yaml.Node) -> None:
        for k, (kn, vn) in self.mapping(node, "ingest").items():
            if k != "max_line_bytes":
                raise self.error(kn, f"ingest.{k}", "unknown key (expected max_line_bytes)")
            n = self.scalar(vn, "ingest.max_line_bytes", int)
            if n < 1024:
                raise self.error(vn, "ingest.max_line_bytes", "must be at least 1024")
            cfg.max_line_bytes = n


def _url(v: _Validator, node: yaml.Node, key: str) -> str:
    url = v.scalar(node, key)
    if not url.startswith(("http://", "https://")):
        raise v.error(node, key, f"must be an http(s) URL, got {url!r}")
    return url.rstrip("/")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)
