"""Retrieval quality on the shared corpus (skipped when ../shared is absent)."""

from indexer.evaluate import first_relevant, match_form, metrics, run
from indexer.store import build
from tests.conftest import DEV_SET, shared_docs


def test_matching_rule():
    assert match_form("Ban  Thanh\ttra\nNHÂN DÂN") == "ban thanh tra nhân dân"
    assert first_relevant(["không có", "Có Ban  thanh tra nhân dân ở xã"], ["ban thanh tra nhân dân"]) == 2
    m = metrics([1, 2, None, 11])
    assert m["MRR@10"] == (1 + 0.5) / 4 and m["Hit@1"] == 0.25 and m["Hit@10"] == 0.5


def test_dev_set_quality(tmp_path):
    db = tmp_path / "index.db"
    report = build(shared_docs(), db)
    assert report.documents >= 19 and not report.errors
    result = run(db, DEV_SET, baselines=False)["danvan"]
    assert result["overall"]["MRR@10"] >= 0.70
    assert result["overall"]["Hit@10"] >= 0.90
    assert result["types"]["nodiac"]["MRR@10"] >= 0.50
