"""Visibility in the index: levels from uploads, front matter, folders and the default; stored with every
passage; relabelled when the rules change without reading files again; filtered inside the top-k."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from indexer import store
from indexer import visibility as vis
from indexer.search import Searcher
from indexer.store import build
from indexer.visibility import INTERNAL, PUBLIC, RESTRICTED, Label, Rules, Viewer

RULES = Rules.from_config({
    "default": "internal",
    "folders": {"cong-khai": "public", "cong-khai/rieng": {"visibility": "restricted", "audience": ["UBKT"]}},
})


def doc(title: str, body: str, **front) -> str:
    lines = [f"title: {title}"] + [f"{k}: {v}" for k, v in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "k"
    files = {
        "cong-khai/luat.md": doc("Luật mẫu", "Hội nghị cộng đồng dân cư bàn hương ước của thôn."),
        "cong-khai/noi-bo.md": doc("Biên bản", "Biên bản thống nhất hương ước thôn Khe Cát.", visibility="nội bộ"),
        "cong-khai/rieng/kiem-tra.md": doc("Kiểm tra", "Kiểm tra quỹ hương ước thôn Khe Cát."),
        "mac-dinh.md": doc("Mặc định", "Kế hoạch hương ước thôn năm nay."),
        "la.md": doc("Lạ", "Hương ước thôn Nậm Xe.", visibility="tối mật lắm"),
        "nhom.md": doc("Nhóm", "Hương ước thôn Pác Bó.", audience="[BDV, ubkt]"),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def labels(db) -> dict[str, tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return {r[0]: (r[1], r[2], r[3]) for r in conn.execute("SELECT id, visibility, audience, level FROM documents")}


def test_levels_from_front_matter_folders_and_default(folder, tmp_path):
    db = tmp_path / "i.db"
    report = build(folder, db, visibility=RULES)
    assert labels(db) == {
        "cong-khai/luat": ("public", "[]", PUBLIC),
        "cong-khai/noi-bo": ("internal", "[]", INTERNAL),  # front matter wins over the folder
        "cong-khai/rieng/kiem-tra": ("restricted", '["ubkt"]', RESTRICTED),  # the longest folder wins
        "mac-dinh": ("internal", "[]", INTERNAL),  # the default
        "la": ("restricted", "[]", RESTRICTED),  # an unknown level closes, never opens
        "nhom": ("restricted", '["bdv", "ubkt"]', RESTRICTED),  # an audience alone means restricted
    }
    assert any(path == "la.md" and "không rõ" in w for path, w in report.warnings)
    with sqlite3.connect(db) as conn:  # every passage carries its document's level and audience
        rows = conn.execute("SELECT p.level, p.audience, d.level, d.audience FROM passages p "
                            "JOIN documents d ON d.id = p.doc_id").fetchall()
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    assert rows and all(r[0] == r[2] and r[1] == r[3] for r in rows)
    assert int(version) == store.SCHEMA_VERSION >= 4
    s = Searcher(db)
    np.testing.assert_array_equal(s.passage_level, [s.documents[d].level for d in s.passage_doc])


def test_search_filters_before_top_k(folder, tmp_path):
    for i in range(30):  # hidden passages that outscore the public one
        (folder / f"an-{i}.md").write_text(doc(f"Ẩn {i}", "Hương ước hương ước hương ước thôn thôn."), encoding="utf-8")
    for i in range(4):
        (folder / "cong-khai" / f"mo-{i}.md").write_text(doc(f"Mở {i}", f"Hương ước thôn số {i}."), encoding="utf-8")
    db = tmp_path / "i.db"
    build(folder, db, visibility=RULES)
    s = Searcher(db)
    everyone = s.search("hương ước thôn", k=5, viewer=Viewer.public())
    assert len(everyone.hits) == 5 and all(h.doc.startswith("cong-khai/") and h.visibility == "public"
                                           for h in everyone.hits)
    assert s._mask(Viewer.public()) is s._mask(Viewer.public())  # computed once per viewer
    assert s._mask(Viewer.everything()) is None
    member = s.search("hương ước thôn", k=40, viewer=Viewer.member())
    assert {h.visibility for h in member.hits} == {"public", "internal"}
    ubkt = {h.doc for h in s.search("hương ước thôn Khe Cát Pác Bó", k=40, viewer=Viewer.member({"ubkt"})).hits}
    assert {"cong-khai/rieng/kiem-tra", "nhom"} <= ubkt and "la" not in ubkt
    assert "la" in {h.doc for h in s.search("Nậm Xe", viewer=Viewer.everything()).hits}
    assert "la" not in {h.doc for h in s.search("Nậm Xe", viewer=Viewer.member({"bdv", "ubkt"})).hits}
    # lookups answer a hidden document exactly like a missing one
    pid = s.passages_of("nhom")[0].passage_id
    assert s.passage(pid, Viewer.member()) is None and s.passage(pid, Viewer.member({"bdv"})) is not None
    assert s.document("nhom", Viewer.public()) is None and s.passages_of("nhom", viewer=Viewer.public()) == []
    assert s.stats(Viewer.public())["documents"] == 5 and s.stats()["documents"] == 40


def test_rule_changes_relabel_without_reading_again(folder, tmp_path):
    db = tmp_path / "i.db"
    build(folder, db, visibility=RULES)
    again = build(folder, db)  # no rules given: the ones the index was built with
    assert not again.modified and labels(db)["mac-dinh"][0] == "internal"
    opened = Rules.from_config({"default": "public", "folders": {"cong-khai/rieng": "internal"}})
    report = build(folder, db, visibility=opened)
    assert not report.added and not report.changed and report.unchanged == 6
    assert sorted(report.relabelled) == ["cong-khai/rieng/kiem-tra", "mac-dinh"]
    assert labels(db)["mac-dinh"][0] == "public" and labels(db)["cong-khai/rieng/kiem-tra"][0] == "internal"
    assert labels(db)["cong-khai/noi-bo"][0] == "internal"  # its own label stays
    with sqlite3.connect(db) as conn:
        assert {r[0] for r in conn.execute("SELECT level FROM passages WHERE doc_id = 'mac-dinh'")} == {PUBLIC}
    assert not build(folder, db, visibility=opened).modified


def test_upload_labels_win_and_survive_rebuilds(folder, tmp_path):
    db = tmp_path / "i.db"
    vis.write_upload(folder, "cong-khai/luat.md", Label(RESTRICTED, ("bdv",)))
    vis.write_upload(folder, "la.md", Label(PUBLIC))
    build(folder, db, visibility=RULES)
    assert labels(db)["cong-khai/luat"] == ("restricted", '["bdv"]', RESTRICTED)
    assert labels(db)["la"][0] == "public"
    build(folder, db, visibility=RULES, force=True)
    assert labels(db)["cong-khai/luat"][0] == "restricted"
    vis.write_upload(folder, "cong-khai/luat.md", None)
    report = build(folder, db, visibility=RULES)
    assert report.relabelled == ["cong-khai/luat"] and labels(db)["cong-khai/luat"][0] == "public"
    assert (folder / vis.SIDECAR).exists() and "la.md" in (folder / vis.SIDECAR).read_text(encoding="utf-8")


def test_rules_parsing():
    assert Rules.from_config(None).default == Label(INTERNAL)
    assert Rules.from_config({"default": "công khai"}).default == Label(PUBLIC)
    assert RULES.for_path("cong-khai/rieng/x/y.md") == Label(RESTRICTED, ("ubkt",))
    assert RULES.for_path("cong-khai-2/x.md") == Label(INTERNAL)  # a prefix is a folder, not a string
    assert Rules.from_json(RULES.to_json()) == RULES
    for bad in ({"default": "bí mật"}, {"folders": {"a": "open"}}, {"folders": ["a"]}, "public"):
        with pytest.raises(ValueError):
            Rules.from_config(bad)
    assert vis.parse_level(None) is None and vis.parse_level("Lưu hành nội bộ") == INTERNAL
    assert vis.parse_level("gì đó") == RESTRICTED
    assert Viewer.public().can_see(PUBLIC, ()) and not Viewer.public().can_see(INTERNAL, ())
    assert Viewer.member().can_see(INTERNAL, ()) and not Viewer.member().can_see(RESTRICTED, ("bdv",))
    assert Viewer.member({"bdv"}).can_see(RESTRICTED, ("bdv", "x")) and not Viewer.member({"bdv"}).can_see(
        RESTRICTED, ())
    assert Viewer.everything().can_see(RESTRICTED, ())
