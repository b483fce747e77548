"""The ``trustops`` command as a user runs it: help, ingest output and exit codes, conversations and
show, and every kind of user error as one line on stderr with exit 2, never a traceback.

Each behaviour is checked on the real command in a subprocess. Starting ``trustops`` costs ~0.7 s
of CPU, so the error cases run as one concurrent batch, and the extra variants of a behaviour
already covered by a subprocess go through ``console.cli.main`` in this process (same code path:
anything escaping ``main`` fails the test as a traceback would).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from console.cli import COMMANDS, main
from tests import eventgen
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
TRUSTOPS = ROOT / ".venv" / "bin" / "trustops"


def _env(cwd: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTOPS_")}
    env.update(XDG_CONFIG_HOME=str(cwd / "xdg-config"), XDG_DATA_HOME=str(cwd / "xdg-data"))
    env.update(extra or {})
    return env


def run(
    *args: str, cwd: Path, env_extra: dict | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """The real command, in a subprocess."""
    return subprocess.run(
        [str(TRUSTOPS), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(cwd, env_extra),
        timeout=timeout,
    )


def run_many(calls: dict[str, tuple[tuple[str, ...], Path]]) -> dict[str, subprocess.CompletedProcess]:
    """Several real commands at once (each one pays the interpreter start-up)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(run, *args, cwd=cwd) for name, (args, cwd) in calls.items()}
        return {name: f.result() for name, f in futures.items()}


def cli(monkeypatch, cwd: Path, *args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """``console.cli.main`` in this process, as the command would run it."""
    monkeypatch.chdir(cwd)
    for k in list(os.environ):
        if k.startswith("TRUSTOPS_"):
            monkeypatch.delenv(k)
    for k, v in _env(cwd, env_extra).items():
        if os.environ.get(k) != v:
            monkeypatch.setenv(k, v)
    out, err = io.StringIO(), io.StringIO()
    out.buffer = io.BytesIO()  # type: ignore[attr-defined]  # print_json writes bytes to sys.stdout.buffer
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else 1
    stdout = out.getvalue() + out.buffer.getvalue().decode()  # type: ignore[attr-defined]
    return subprocess.CompletedProcess(list(args), code, stdout, err.getvalue())


def assert_user_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, exactly one line on stderr naming what is wrong, nothing on stdout, no traceback."""
    err = proc.stderr
    assert "Traceback" not in err + proc.stdout, err
    assert proc.returncode == 2, (proc.returncode, proc.stdout, err)
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("trustops"), err
    assert proc.stdout == ""
    for f in fragments:
        assert f in err, f"{f!r} not in {err!r}"
    return err.strip()


def ev(id_: str, type_: str, cid: str, ms: int, dep: str = "support-assistant", **fields) -> dict:
    return {
        "v": 1, "id": id_, "ts": eventgen.ts(ms), "type": type_, "conversation_id": cid, "deployment": dep,
        "model_version": "v41", **fields,
    }  # fmt: skip


STORY = [
    ev("k0", "conversation.start", "c-complaint", 10_000_000, "billing-agent", customer_id="cust-K", channel="chat"),
    ev("k1", "message.user", "c-complaint", 10_000_100, "billing-agent", turn=1, text="You charged me twice"),
    ev("k2", "feedback", "c-complaint", 10_000_200, "billing-agent", turn=1, kind="complaint", text="still wrong"),
    ev("k3", "conversation.end", "c-complaint", 10_000_300, "billing-agent", resolved=False),
    ev("e0", "conversation.start", "c-escalated", 10_001_000, customer_id="cust-E"),
    ev("e1", "message.user", "c-escalated", 10_001_100, turn=1, text="human please"),
    ev("e2", "escalation", "c-escalated", 10_001_200, turn=1, reason="asked for a human"),
    ev("o0", "conversation.start", "c-ok", 10_002_000, customer_id="cust-O"),
    ev("o1", "message.user", "c-ok", 10_002_100, turn=1, text="Where is my order?"),
    ev("o2", "message.assistant", "c-ok", 10_002_200, turn=1, text="It ships tomorrow."),
    ev("o3", "conversation.end", "c-ok", 10_002_300, resolved=True),
]  # fmt: skip
GEN_EVENTS, GEN_SEED = 600, 2


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """A store with a known story plus eventgen conversations, made by ``trustops ingest``."""
    d = tmp_path_factory.mktemp("cli")
    story = d / "story.jsonl"
    story.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in STORY))
    gen = d / "gen.jsonl"
    eventgen.write(gen, GEN_EVENTS, seed=GEN_SEED)
    db = d / "store.db"
    proc = run("ingest", str(story), str(gen), "--store", f"sqlite:///{db}", cwd=d)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(STORY) + GEN_EVENTS} events stored" in proc.stdout
    return d, f"sqlite:///{db}"


# -- help -----------------------------------------------------------------------------------------


def test_help_for_the_command_and_every_subcommand(tmp_path):
    assert {"ingest", "conversations", "show"} <= set(COMMANDS)
    results = run_many(
        {name: ((name, "--help"), tmp_path) for name in COMMANDS} | {"": (("--help",), tmp_path)}
    )
    for name, proc in results.items():
        assert proc.returncode == 0, (name, proc.stderr)
        assert proc.stdout.startswith(f"usage: trustops {name}".rstrip()), (name, proc.stdout[:200])
        assert proc.stderr == "", (name, proc.stderr)
    for name in COMMANDS:
        assert name in results[""].stdout


# -- ingest ---------------------------------------------------------------------------------------


def _junk_files(d: Path) -> tuple[Path, Path]:
    a, b = d / "a.jsonl", d / "b.jsonl"
    good = [orjson.dumps(e) for e in STORY]
    a.write_bytes(b"\n".join([good[0], b"garbage", good[1], b"", good[2], b"[]"]) + b"\n")
    b.write_bytes(b"\n".join([good[3], good[0], b'{"v":1,"id":"z","ts":"2026-11-30T03:00:00Z"}']) + b"\n")
    return a, b


def test_ingest_prints_counts_and_each_reject(tmp_path):
    a, b = _junk_files(tmp_path)
    proc = run("ingest", str(a), str(b), "--store", f"sqlite:///{tmp_path / 's.db'}", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines() == [
        "2 file(s): 4 events stored, 1 duplicates skipped, 3 lines rejected, 0 findings"
    ]
    err = proc.stderr.splitlines()
    assert len(err) == 3, proc.stderr
    assert err[0].startswith(f"{a}:2: not valid JSON")
    assert err[1].startswith(f"{a}:6: not a JSON object")
    assert err[2] == f"{b}:3: type: missing"


def test_ingest_json(tmp_path):
    a, b = _junk_files(tmp_path)
    proc = run("ingest", str(a), str(b), "--store", f"sqlite:///{tmp_path / 's.db'}", "--json", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == ""
    out = json.loads(proc.stdout)
    assert (out["stored"], out["duplicates"], out["rejected"]) == (4, 1, 3)
    assert [(r["path"], r["line"]) for r in out["rejects"]] == [(str(a), 2), (str(a), 6), (str(b), 3)]
    assert out["rejects"][2]["reason"] == "type: missing"
    assert out["files"][str(a)]["rejected"] == 2


def test_ingest_clean_file_exits_0_and_again_stores_nothing(tmp_path, monkeypatch):
    p = tmp_path / "ok.jsonl"
    eventgen.write(p, 50)
    store = f"sqlite:///{tmp_path / 's.db'}"
    first = run("ingest", str(p), "--store", store, cwd=tmp_path)
    assert (first.returncode, first.stderr) == (0, "")
    assert first.stdout == "1 file(s): 50 events stored, 0 duplicates skipped, 0 lines rejected, 0 findings\n"
    again = cli(monkeypatch, tmp_path, "ingest", str(p), "--store", store)
    assert (again.returncode, again.stderr) == (0, "")
    assert "0 events stored, 0 duplicates skipped, 0 lines rejected" in again.stdout


def test_ingest_relative_path_reports_a_usable_path(tmp_path, monkeypatch):
    a, _ = _junk_files(tmp_path)
    proc = cli(monkeypatch, tmp_path, "ingest", a.name, "--store", f"sqlite:///{tmp_path / 's.db'}")
    assert proc.returncode == 1
    path = proc.stderr.splitlines()[0].split(":")[0]
    assert (tmp_path / path).resolve() == a.resolve()


def test_ingest_max_line_bytes_from_config(tmp_path, monkeypatch):
    p = tmp_path / "a.jsonl"
    big = dict(STORY[1], id="big", text="x" * 5000)
    p.write_bytes(orjson.dumps(STORY[0]) + b"\n" + orjson.dumps(big) + b"\n")
    cfg = tmp_path / "trustops.yaml"
    cfg.write_text("ingest:\n  max_line_bytes: 4096\n")
    proc = cli(monkeypatch, tmp_path, "ingest", str(p), "--store", f"sqlite:///{tmp_path / 's.db'}")
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"{p}:2: line longer than the 4096 byte limit"]


def test_store_from_environment_variable(tmp_path, monkeypatch):
    p = tmp_path / "ok.jsonl"
    eventgen.write(p, 6)
    db = tmp_path / "env.db"
    proc = cli(monkeypatch, tmp_path, "ingest", str(p), env_extra={"TRUSTOPS_STORE": f"sqlite:///{db}"})
    assert proc.returncode == 0, proc.stderr
    assert db.exists()


# -- conversations and show ------------------------------------------------------------------------


def _conversations(monkeypatch, populated, *args: str) -> list[dict]:
    d, store = populated
    proc = cli(monkeypatch, d, "conversations", "--store", store, "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_conversations_flag_filter(populated, monkeypatch):
    d, store = populated
    proc = run("conversations", "--store", store, "--json", "--flag", "complaint", "--limit", "500", cwd=d)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    complaints = {
        e["conversation_id"]
        for e in eventgen.events(GEN_EVENTS, seed=GEN_SEED)
        if e.get("kind") == "complaint"
    }
    assert complaints, "eventgen makes some complaints"
    assert {r["conversation_id"] for r in rows} == complaints | {"c-complaint"}
    assert all("complaint" in r["flags"] for r in rows)
    esc = _conversations(monkeypatch, populated, "--flag", "escalation")
    assert [r["conversation_id"] for r in esc] == ["c-escalated"]
    assert _conversations(monkeypatch, populated, "--flag", "escalation", "--flag", "complaint") == []


def test_conversations_deployment_and_limit(populated, monkeypatch):
    every = _conversations(monkeypatch, populated, "--limit", "500")
    gen_ids = {e["conversation_id"] for e in eventgen.events(GEN_EVENTS, seed=GEN_SEED)}
    assert {r["conversation_id"] for r in every} == gen_ids | {"c-complaint", "c-escalated", "c-ok"}
    rows = _conversations(monkeypatch, populated, "--deployment", "billing-agent", "--limit", "500")
    assert rows and all(r["deployment"] == "billing-agent" for r in rows)
    assert "c-complaint" in {r["conversation_id"] for r in rows}
    assert len(rows) == sum(r["deployment"] == "billing-agent" for r in every)
    three = _conversations(monkeypatch, populated, "--limit", "3")
    assert len(three) == 3
    starts = sorted((r["started_ms"] for r in every), reverse=True)[:3]  # newest first
    assert [r["started_ms"] for r in three] == starts
    both = _conversations(monkeypatch, populated, "--deployment", "billing-agent", "--flag", "complaint")
    assert "c-complaint" in {r["conversation_id"] for r in both}
    assert all(r["deployment"] == "billing-agent" and "complaint" in r["flags"] for r in both)


def test_conversations_row_content(populated, monkeypatch):
    every = _conversations(monkeypatch, populated, "--limit", "500")
    (row,) = [r for r in every if r["conversation_id"] == "c-complaint"]
    assert row["customer_id"] == "cust-K"
    assert row["deployment"] == "billing-agent"
    assert set(row["flags"]) == {"complaint", "negative_feedback"}
    assert row["resolved"] is False
    assert row["turns"] == 1
    assert row["events"] == 4


def test_good_since_and_until(populated, monkeypatch):
    rows = _conversations(
        monkeypatch, populated, "--since", eventgen.ts(10_000_000), "--until", eventgen.ts(10_001_500)
    )
    assert {r["conversation_id"] for r in rows} == {"c-complaint", "c-escalated"}


def test_conversations_text(populated, monkeypatch):
    d, store = populated
    proc = run("conversations", "--store", store, "--flag", "escalation", cwd=d)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0].split() == ["started", "conversation", "deployment", "version", "customer", "turns", "flags",
                              "feedback", "resolved"]  # fmt: skip
    assert len(out) == 2 and "c-escalated" in out[1] and "escalation" in out[1]
    none = cli(monkeypatch, d, "conversations", "--store", store, "--deployment", "no-such-deployment")
    assert none.returncode == 0 and none.stdout.startswith("no conversations match")


def test_show_text(populated):
    d, store = populated
    proc = run("show", "c-complaint", "--store", store, cwd=d)
    assert proc.returncode == 0, proc.stderr
    head, _, trail = proc.stdout.partition("\n\n")
    assert "c-complaint" in head and "cust-K" in head
    types = [
        row.split()[2 if row.split()[1].startswith("t") else 1] for row in trail.splitlines() if row.strip()
    ]
    types = [t for t in types if t != "⚑"]
    assert types == ["conversation.start", "message.user", "feedback", "conversation.end"]


def test_show_json(populated):
    d, store = populated
    proc = run("show", "c-escalated", "--store", store, "--json", cwd=d)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["conversation"]["conversation_id"] == "c-escalated"
    assert [e["id"] for e in out["events"]] == ["e0", "e1", "e2"]
    assert out["events"][2]["reason"] == "asked for a human"
    assert "escalation" in out["conversation"]["flags"]


# -- errors: one line, exit 2 (real commands, run as one batch) ----------------------------------------

BAD_CONFIGS = {
    "invalid-yaml": ("store: [\n  unclosed\n", (":3:", "YAML")),
    "unknown-key": ("environment: prod\nbogus_key: 1\n", (":2:", "bogus_key", "unknown key")),
    "wrong-type": ("environment: prod\ningest:\n  max_line_bytes: lots\n", (":3:", "ingest.max_line_bytes", "integer")),
    "bool-for-int": ("ingest:\n  max_line_bytes: true\n", (":2:", "ingest.max_line_bytes")),
    "list-for-string": ("operator:\n  - alice\n", (":2:", "operator")),
    "bad-source": ("sources:\n  - type: jsonl\n    path: a.jsonl\n  - type: carrier-pigeon\n", (":4:", "sources.1.type")),
    "bad-store": ("store: mysql://x\n", (":1:", "store")),
    "secret-in-file": ("control_plane:\n  url: http://x\n  token: abc\n", (":3:", "control_plane.token")),
}  # fmt: skip


def _error_cases(d: Path, store: str) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """name -> (arguments, fragments the one-line message must contain)."""
    ok = d / "ok.jsonl"
    eventgen.write(ok, 5)
    (d / "logs").mkdir()
    loop = d / "loop.jsonl"
    loop.symlink_to(loop)
    blocker = d / "a-file"
    blocker.write_text("not a directory")
    (d / "confdir").mkdir()

    def s(name: str) -> str:  # a store of its own for each case: they run at the same time
        return f"sqlite:///{d / name}.db"

    pg = f"postgresql://trust:s3cr3t-pw@127.0.0.1:{free_port()}/trustops"
    cases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
        "missing-file": (
            ("ingest", str(d / "nope.jsonl"), "--store", s("a")),
            ("nope.jsonl", "no such file"),
        ),
        "missing-second-file": (
            ("ingest", str(ok), str(d / "gone.jsonl"), "--store", s("b")),
            ("gone.jsonl",),
        ),
        "directory": (("ingest", str(d / "logs"), "--store", s("c")), (str(d / "logs"), "directory")),
        # as root every file is readable; a symlink loop is a file open() refuses all the same
        "cannot-open": (("ingest", str(loop), "--store", s("d")), ("loop.jsonl", "cannot read")),
        "store-mysql": (("ingest", str(ok), "--store", "mysql://root@localhost/db"), ("store", "mysql://")),
        "store-nonsense": (("ingest", str(ok), "--store", "nonsense"), ("store", "nonsense")),
        "store-uncreatable": (("ingest", str(ok), "--store", f"sqlite:///{blocker}/sub/s.db"), ("store",)),
        "store-unreachable": (("ingest", str(ok), "--store", pg), ("127.0.0.1",)),
        "unknown-flag": (("conversations", "--store", store, "--flag", "grumpy"), ("--flag", "grumpy")),
        "unknown-conversation": (("show", "c-does-not-exist", "--store", store), ("c-does-not-exist",)),
        "unknown-conversation-json": (("show", "c-nope", "--json", "--store", store), ("c-nope",)),
        "bad-since": (("conversations", "--store", store, "--since", "yesterday"), ("--since", "yesterday")),
        "since-without-zone": (
            ("conversations", "--store", store, "--since", "2026-11-30T03:00:00"),
            ("--since",),
        ),
        "until-impossible-date": (
            ("conversations", "--store", store, "--until", "2026-13-01T00:00:00Z"),
            ("--until",),
        ),
        "no-store-file": (("conversations", "--store", f"sqlite:///{d / 'never.db'}"), ("never.db",)),
        "show-no-store-file": (("show", "c-1", "--store", f"sqlite:///{d / 'never.db'}"), ("never.db",)),
        "unreachable-for-conversations": (("conversations", "--store", pg), ("127.0.0.1",)),
        "unreachable-for-show": (("show", "c-1", "--store", pg), ("127.0.0.1",)),
        "unknown-command": (("no-such-command",), ("no-such-command",)),
        "ingest-without-path": (("ingest",), ()),
        "limit-zero": (("conversations", "--limit", "0"), ("--limit",)),
        "limit-word": (("conversations", "--limit", "many"), ("--limit",)),
        "unknown-option": (("conversations", "--no-such-option"), ("--no-such-option",)),
        "show-without-id": (("show",), ()),
        "bad-format": (("ingest", str(ok), "--format", "xml"), ("--format",)),
        "config-missing": (("conversations", "--config", str(d / "none.yaml")), ("none.yaml",)),
        "config-directory": (("conversations", "--config", str(d / "confdir")), ("confdir",)),
    }
    for name, (text, fragments) in BAD_CONFIGS.items():
        cfg = d / f"{name}.yaml"
        cfg.write_text(text)
        cases[f"config-{name}"] = (
            ("ingest", str(ok), "--store", s(name), "--config", str(cfg)),
            (cfg.name, *fragments),
        )
    return cases


# What the issue names runs as the real command; the other cases through main() in this process.
REAL_COMMAND = {
    "missing-file", "directory", "cannot-open", "store-mysql", "store-unreachable", "unknown-flag",
    "unknown-conversation", "bad-since", "config-invalid-yaml", "config-unknown-key", "config-wrong-type",
}  # fmt: skip


@pytest.fixture(scope="module")
def error_cases(populated, tmp_path_factory):
    d = tmp_path_factory.mktemp("errors")
    cases = _error_cases(d, populated[1])
    real = run_many({name: (args, d) for name, (args, _) in cases.items() if name in REAL_COMMAND})
    return d, cases, real


ERROR_NAMES = [
    "missing-file", "missing-second-file", "directory", "cannot-open", "store-mysql", "store-nonsense",
    "store-uncreatable", "store-unreachable", "unknown-flag", "unknown-conversation", "unknown-conversation-json",
    "bad-since", "since-without-zone", "until-impossible-date", "no-store-file", "show-no-store-file",
    "unreachable-for-conversations", "unreachable-for-show", "unknown-command", "ingest-without-path",
    "limit-zero", "limit-word", "unknown-option", "show-without-id", "bad-format", "config-missing",
    "config-directory", *(f"config-{n}" for n in BAD_CONFIGS),
]  # fmt: skip


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_user_errors_are_one_line_and_exit_2(error_cases, monkeypatch, name):
    d, cases, real = error_cases
    args, fragments = cases[name]
    proc = real[name] if name in REAL_COMMAND else cli(monkeypatch, d, *args)
    err = assert_user_error(proc, *fragments)
    if "unreachable" in name:
        assert "s3cr3t-pw" not in err  # the password is never printed
    if name == "config-secret-in-file":
        assert "abc" not in err  # nor a secret written in the config
    if name.endswith("no-store-file"):
        assert not (d / "never.db").exists()  # reading commands do not create a store


def test_error_names_cover_every_case(tmp_path):
    cases = _error_cases(tmp_path, "sqlite:///x")
    assert set(ERROR_NAMES) == set(cases)
    assert set(cases) >= REAL_COMMAND


@pytest.mark.skipif(
    os.geteuid() == 0,
    reason="tests run as root, which reads files whatever their mode, and the interpreter lives under "
    "/root (mode 0700) so the command cannot run as another user; 'cannot-open' covers the same path",
)
def test_unreadable_file(tmp_path):
    p = tmp_path / "secret.jsonl"
    eventgen.write(p, 5)
    p.chmod(0)
    try:
        proc = run("ingest", str(p), "--store", f"sqlite:///{tmp_path / 's.db'}", cwd=tmp_path)
        assert_user_error(proc, "secret.jsonl", "ermission denied")
    finally:
        p.chmod(0o600)


def test_store_url_with_a_bad_port(tmp_path):
    p = tmp_path / "ok.jsonl"
    eventgen.write(p, 5)
    proc = run("ingest", str(p), "--store", "postgresql://u@127.0.0.1:notaport/db", cwd=tmp_path)
    assert_user_error(proc, "store")


# -- more variants, in process --------------------------------------------------------------------


def test_bad_config_found_in_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "trustops.yaml").write_text("environment: prod\nnope: 1\n")
    p = tmp_path / "ok.jsonl"
    eventgen.write(p, 5)
    proc = cli(monkeypatch, tmp_path, "ingest", str(p), "--store", f"sqlite:///{tmp_path / 's.db'}")
    assert_user_error(proc, "trustops.yaml:2:", "nope")
