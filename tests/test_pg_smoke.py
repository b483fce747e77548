from connectors.jsonl import read_files
from console.core.ingest import Ingestor
from tests.eventgen import write


def test_ingest_roundtrip_on_both_backends(store, tmp_path):
    p = tmp_path / "a.jsonl"
    write(p, 500)
    ing = Ingestor(store)
    stats = ing.run(read_files([str(p)], ing.resume_of))
    assert stats.stored == 500
    assert store.counts()["events"] == 500
    again = Ingestor(store).run(read_files([str(p)], ing.resume_of))
    assert again.stored == 0
