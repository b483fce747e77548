"""Full-text search at conversation granularity, on SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest

from connectors.jsonl import Chunk
from console.cli import main
from console.core.ingest import Ingestor
from console.core.queries import ConversationFilter, count_conversations, list_conversations
from console.core.search import SearchIndex
from tests.hostile import HOSTILE


def _conversation(cid: str, user: str, assistant: str, *, complaint: bool = False) -> list[dict]:
    base = {"v": 1, "conversation_id": cid, "deployment": "support-assistant", "model_version": "v41"}
    events = [
        {"type": "conversation.start", "customer_id": f"cus_{cid}", "channel": "web"},
        {"type": "message.user", "turn": 1, "text": user},
        {"type": "message.assistant", "turn": 1, "text": assistant},
    ]
    if complaint:
        events.append({"type": "feedback", "turn": 1, "kind": "complaint", "score": 1, "text": "wrong"})
    return [
        {**base, **e, "id": f"{cid}-{i}", "ts": f"2026-11-30T03:00:{i:02d}Z"} for i, e in enumerate(events)
    ]


def _ingest(store, events: list[dict]) -> None:
    ing = Ingestor(store)
    ing.ingest(Chunk("search.jsonl", 1, [orjson.dumps(e) for e in events], len(events), "search-tests"))


@pytest.fixture
def corpus(store):
    _ingest(
        store,
        [
            *_conversation(
                "c1", "Where is my parcel?", "Your Parcel ships tomorrow from Lyon.", complaint=True
            ),
            *_conversation("c2", "Refund my kettle please", "The refund is on its way."),
            *_conversation("c3", "My email is jo@example.com", "Thanks, noted."),
            *_conversation("c4", HOSTILE["markup_click"], HOSTILE["bidi"] + " café"),
        ],
    )
    return store


def test_catch_up_indexes_everything_then_nothing(corpus) -> None:
    index = SearchIndex(corpus)
    seen = []
    assert index.catch_up(chunk=5, progress=seen.append) == 13
    assert seen[-1].done and seen[-1].indexed == 13 and index.watermark() == seen[-1].watermark
    assert index.catch_up() == 0


def test_words_match_across_a_conversation_whatever_the_case(corpus) -> None:
    index = SearchIndex(corpus)
    index.catch_up()
    assert index.search("parcel") == ["c1"]
    assert index.search("PARCEL lyon") == ["c1"]  # words from two events of one conversation
    assert index.search("parcel refund") == []  # every word must match
    assert sorted(index.search("my")) == ["c1", "c2", "c3"]
    assert index.search("jo@example.com") == ["c3"]
    assert index.search("CAFÉ") == ["c4"] and index.search("cafe") == []  # accents count, on both backends
    assert index.search("nothing-like-this") == []


def test_unindexed_tail_is_searched_too(corpus) -> None:
    index = SearchIndex(corpus)
    assert index.search("kettle") == ["c2"]  # nothing indexed yet: the tail scan finds it
    index.catch_up()
    _ingest(corpus, _conversation("c5", "Another kettle question", "Sure."))
    assert sorted(index.search("kettle")) == ["c2", "c5"]  # c2 from the index, c5 from the tail
    assert index.catch_up(limit=2) == 2 and index.catch_up() == 1
    assert sorted(index.search("kettle")) == ["c2", "c5"]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "parcel*", "NEAR(parcel lyon)", "parcel OR refund", "-parcel", "body:parcel", "^parcel", "(", "'",
     "%", "_", "\\", *HOSTILE.values()],
)  # fmt: skip
def test_query_syntax_is_never_interpreted(corpus, query: str) -> None:
    index = SearchIndex(corpus)
    index.catch_up()
    results = index.search(query)
    assert isinstance(results, list)
    if query == "parcel OR refund":
        assert results == []  # three words, all required: "or" appears nowhere


def test_search_combines_with_filters_and_counts(corpus) -> None:
    SearchIndex(corpus).catch_up()
    f = ConversationFilter(search="parcel", flags=("complaint",))
    assert [c.conversation_id for c in list_conversations(corpus, f)] == ["c1"]
    assert count_conversations(corpus, f) == 1
    assert count_conversations(corpus, ConversationFilter(search="refund", flags=("complaint",))) == 0


def test_ingest_alone_never_touches_the_index(corpus) -> None:
    tables = {"search_docs", "search_fts"}
    if corpus.dialect == "sqlite":
        names = {r[0] for r in corpus.query("SELECT name FROM sqlite_master")}
    else:
        names = {r[0] for r in corpus.query("SELECT tablename FROM pg_catalog.pg_tables")}
    assert not names & tables
    assert corpus.scalar("SELECT count(*) FROM meta WHERE key = 'search.watermark'") == 0


def test_two_indexers_at_once_never_index_twice(corpus) -> None:
    SearchIndex(corpus).ensure()
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda _: SearchIndex(corpus).catch_up(chunk=2), range(2)))
    assert sum(done) == 13


def test_cli_catches_up_then_searches(corpus, capsys) -> None:
    url = corpus.url.replace("postgresql+psycopg://", "postgresql://")
    assert main(["conversations", "--store", url, "--search", "refund", "--json"]) == 0
    rows = orjson.loads(capsys.readouterr().out)
    assert [r["conversation_id"] for r in rows] == ["c2"]
    assert SearchIndex(corpus).watermark() > 0
