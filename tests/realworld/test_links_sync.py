"""Links (a page served here by a local HTTP server, fetched, extracted, saved with front matter, indexed)
and keeping the index in sync with a knowledge folder that colleagues keep adding to."""

from __future__ import annotations

import asyncio
import html as html_mod
import http.server
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.cli import main as cli
from bot.conversation import Conversation, Incoming
from bot.querylog import QueryLog
from indexer import web
from indexer.analysis import normalize
from indexer.documents import DocumentError, split_front_matter
from indexer.search import Searcher
from indexer.store import build
from tests.bot.bot_testkit import assert_telegram_html
from tests.bot.conftest import ADMIN
from tests.hardening.hostile import make_docx

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8">
<title>Xã Tân Phú ra mắt mô hình "Dân vận khéo" thu gom rác thải nhựa - Cổng thông tin điện tử huyện Đồng Xuân</title>
<meta property="og:title" content="Xã Tân Phú ra mắt mô hình &quot;Dân vận khéo&quot; thu gom rác thải nhựa">
<meta property="article:published_time" content="2024-05-17T08:30:00+07:00">
</head><body>
<nav><a href="/">Trang chủ</a> | <a href="/tin-tuc">Tin tức</a> | <a href="/lien-he">Liên hệ</a></nav>
<div class="sidebar"><h3>Tin mới</h3><ul><li><a href="/a">Hội nghị tổng kết năm</a></li>
<li><a href="/b">Lịch tiếp công dân tháng 6</a></li></ul></div>
<article>
<h1>Xã Tân Phú ra mắt mô hình "Dân vận khéo" thu gom rác thải nhựa</h1>
<p class="date">17/05/2024</p>
<p>Sáng ngày 17/5, Ban Dân vận Đảng ủy xã Tân Phú phối hợp với Hội Liên hiệp Phụ nữ xã tổ chức ra mắt mô hình
"Dân vận khéo" thu gom, phân loại rác thải nhựa tại thôn Phú Hòa.</p>
<p>Theo đó, mỗi hộ gia đình được phát hai thùng đựng rác; rác thải nhựa được bán phế liệu, số tiền thu được
dùng để hỗ trợ học sinh có hoàn cảnh khó khăn trong thôn.</p>
<p>Dịp này, Ban Chỉ đạo mô hình đã trao tặng 50 thùng rác cho các hộ gia đình tham gia đầu tiên.</p>
</article>
<footer>Bản quyền thuộc Ủy ban nhân dân huyện Đồng Xuân. Lượt truy cập: 123456</footer>
</body></html>"""

PAGE2 = PAGE.replace("50 thùng rác", "80 thùng rác và 200 bao tải")


class Site:
    """Pages served on 127.0.0.1 from a dict path -> (content type, body); every request is counted."""

    def __init__(self):
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                site.hits.append(self.path)
                if self.path == "/cham":
                    time.sleep(3)
                if self.path not in site.pages:
                    self.send_error(404, "Not Found")
                    return
                ctype, body = site.pages[self.path]
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that gave up (the time-out test)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


def private(text: str, user: int = ADMIN) -> Incoming:
    return Incoming(user_id=user, chat_id=user, chat_type="private", text=text)


def test_page_is_saved_with_front_matter_and_replaced_not_duplicated(site, tmp_path):
    site.pages["/tin/tan-phu.html"] = ("text/html; charset=utf-8", PAGE.encode())
    knowledge = tmp_path / "k"
    url = site.url("/tin/tan-phu.html")
    saved = web.save(url, knowledge, 2**20, 10)
    assert saved.path.parent == knowledge / "trang-web" and saved.path.suffix == ".md" and not saved.replaced
    assert saved.path.name.startswith("xa-tan-phu-ra-mat-mo-hinh-dan-van-kheo")
    meta, body, warnings = split_front_matter(saved.path.read_text(encoding="utf-8"))
    assert not warnings
    assert meta["title"].startswith('Xã Tân Phú ra mắt mô hình "Dân vận khéo"')
    assert str(meta["issued"]) == "2024-05-17" and meta["source"] == url
    assert "phát hai thùng đựng rác" in body
    assert "Lịch tiếp công dân" not in body and "Lượt truy cập" not in body  # menus, sidebars, footers left out

    site.pages["/tin/tan-phu.html"] = ("text/html; charset=utf-8", PAGE2.encode())
    again = web.save(url, knowledge, 2**20, 10)
    assert again.path == saved.path and again.replaced and again.previous is not None
    assert "200 bao tải" in again.path.read_text(encoding="utf-8")
    assert len(list((knowledge / "trang-web").iterdir())) == 1


def test_charset_given_only_by_the_http_header(site, tmp_path):
    from tests.hardening.hostile import to_cp1258

    page = ("<html><head><title>Tin dân vận</title></head><body><article>"
            + "<p>Hội Nông dân xã tổ chức tập huấn kỹ thuật trồng lúa hữu cơ cho hội viên thôn Trung Hậu.</p>" * 3
            + "</article></body></html>")
    site.pages["/1258"] = ("text/html; charset=windows-1258", to_cp1258(page))
    saved = web.save(site.url("/1258"), tmp_path / "k", 2**20, 10)
    assert "trồng lúa hữu cơ cho hội viên thôn Trung Hậu" in normalize(saved.path.read_text(encoding="utf-8"))


def test_fetch_problems_are_reported_in_vietnamese(site, tmp_path):
    site.pages["/to"] = ("text/html", b"<html>" + b"x" * 3000 + b"</html>")
    site.pages["/anh"] = ("image/gif", b"GIF89a")
    site.pages["/rong"] = ("text/html", b"<html><head><title>Trang chu</title></head><body></body></html>")
    cases = {
        site.url("/khong-co"): "trang web trả lỗi 404",
        site.url("/to"): "trang quá lớn",
        site.url("/anh"): "không phải trang web",
        site.url("/rong"): "không có nội dung chính",
        site.url("/cham"): "không trả lời trong 1 giây",
        "ftp://127.0.0.1/x": "chỉ nhận địa chỉ http",
        "http://127.0.0.1:9/": "không tải được trang web",
    }
    for url, reason in cases.items():
        with pytest.raises(DocumentError, match=reason):
            web.save(url, tmp_path / "k", 2000, 1)
    assert not (tmp_path / "k" / "trang-web").exists() or not list((tmp_path / "k" / "trang-web").iterdir())


def test_a_linked_document_is_saved_as_that_file(site, tmp_path):
    site.pages["/files/KH-12.docx"] = (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        make_docx(["Kế hoạch 12/KH-UBND", "Tổ chức ngày hội Đại đoàn kết toàn dân tộc ở khu dân cư Bình Minh."]),
    )
    saved = web.save(site.url("/files/KH-12.docx"), tmp_path / "k", 2**20, 10)
    assert saved.path == tmp_path / "k" / "trang-web" / "kh-12.docx"
    build(tmp_path / "k", tmp_path / "i.db")
    assert Searcher(tmp_path / "i.db").search("ngày hội Đại đoàn kết Bình Minh").hits[0].doc == "trang-web/kh-12"


def test_cli_add(site, tmp_path, capsys):
    site.pages["/tin/tan-phu.html"] = ("text/html; charset=utf-8", PAGE.encode())
    knowledge, db = tmp_path / "k", tmp_path / "i.db"
    knowledge.mkdir()
    code = cli(["add", site.url("/tin/tan-phu.html"), site.url("/khong-co"), "--knowledge", str(knowledge),
                "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 1  # one of the two links failed
    assert f"LỖI {site.url('/khong-co')}: trang web trả lỗi 404" in err
    assert "Đã lưu" in err and "Đã lập chỉ mục: 1 văn bản" in err
    hit = Searcher(db).search("thu gom rác thải nhựa Tân Phú").hits[0]
    assert hit.doc.startswith("trang-web/xa-tan-phu") and hit.source == site.url("/tin/tan-phu.html")
    assert hit.issued == "2024-05-17"


async def test_admin_sends_a_link_to_the_bot(site, conv: Conversation):
    site.pages["/tin/tan-phu.html"] = ("text/html; charset=utf-8", PAGE.encode())
    url = site.url("/tin/tan-phu.html")
    reply = await conv.handle_message(private(url))
    assert_telegram_html(reply.text_html)
    assert "Đã tải trang" in reply.text_html and "trang-web/xa-tan-phu" in reply.text_html
    assert "Dân vận khéo" in reply.text_html  # the card: the detected title
    answer = await conv.handle_message(private("mô hình thu gom rác thải nhựa thôn Phú Hòa", user=1001))
    assert "Xã Tân Phú" in answer.text_html

    site.pages["/tin/tan-phu.html"] = ("text/html; charset=utf-8", PAGE2.encode())
    again = await conv.handle_message(private(url))
    assert "thay bản cũ" in again.text_html
    searcher = await conv.open()
    assert sum(d.id.startswith("trang-web/") for d in searcher.documents) == 1

    hits_before = len(site.hits)
    not_admin = await conv.handle_message(private(url, user=1001))  # anyone else: a question, nothing fetched
    assert len(site.hits) == hits_before and "Đã tải trang" not in not_admin.text_html
    failed = await conv.handle_message(private(site.url("/khong-co")))
    assert "Không lấy được trang" in failed.text_html and "404" in failed.text_html


async def test_sync_picks_up_added_changed_removed_files(conv: Conversation, knowledge: Path):
    searcher = await conv.open()
    before = {d.id: d.indexed_at for d in searcher.documents}
    (knowledge / "moi").mkdir()
    (knowledge / "moi" / "quy-che.docx").write_bytes(make_docx(
        ["Quy chế dân chủ ở cơ sở", "Ban Thanh tra nhân dân giám sát việc xây dựng nhà văn hóa thôn Hạ Long."]))
    report = await conv.sync()
    assert report.added == ["moi/quy-che"] and not report.changed and not report.removed
    assert (await conv.open()).search("nhà văn hóa thôn Hạ Long").hits[0].doc == "moi/quy-che"

    plan = knowledge / "ke-hoach-xa.md"
    time.sleep(0.01)
    plan.write_text(plan.read_text(encoding="utf-8") + "\n4. Tổ chức ngày hội hiến máu tình nguyện.\n", "utf-8")
    (knowledge / "van-ban" / "luat-10-2022.md").unlink()
    report = await conv.sync()
    assert report.changed == ["ke-hoach-xa"] and report.removed == ["van-ban/luat-10-2022"]
    searcher = await conv.open()
    after = {d.id: d.indexed_at for d in searcher.documents}
    assert set(after) == {"van-ban/ct-33-2021", "ke-hoach-xa", "moi/quy-che"}  # one copy of the new version
    assert after["ke-hoach-xa"] > before["ke-hoach-xa"]
    assert after["van-ban/ct-33-2021"] == before["van-ban/ct-33-2021"]  # untouched: not re-read

    listing = await conv.handle_message(private("/danhsach", 1001))
    assert_telegram_html(listing.text_html)
    assert listing.text_html.count("cập nhật ") == 3

    (knowledge / "moi" / "quy-che.docx").unlink()  # a .doc replaces the .docx: still one document
    (knowledge / "moi" / "quy-che.doc").write_bytes(make_docx(["Quy chế mới", "Nhà văn hóa thôn Hạ Long."]))
    report = await conv.sync()
    assert report.changed == ["moi/quy-che"] and not report.errors
    assert [d.path for d in (await conv.open()).documents if d.id == "moi/quy-che"] == ["moi/quy-che.doc"]
    assert (await conv.sync()).modified is False


async def test_periodic_sync_runs_in_the_background(config, tmp_path, knowledge: Path):
    log = QueryLog(config.querylog)
    conv = Conversation(replace(config, sync_interval=0.2), log)
    try:
        assert conv.start_sync() is not None
        (knowledge / "tin.md").write_text("---\ntitle: Tin mới\n---\n\nHội thi tuyên truyền viên giỏi cụm xã.\n")
        for _ in range(100):
            searcher = await conv.open()
            if searcher.document("tin"):
                break
            await asyncio.sleep(0.1)
        assert searcher.document("tin") is not None
        # questions are answered while it runs
        assert "1. Tin mới" in (await conv.handle_message(private("hội thi tuyên truyền viên giỏi", 1001))).text_html
    finally:
        await conv.stop_sync()
        conv.close()
        log.close()
    assert Conversation(replace(config, sync_interval=0), QueryLog(tmp_path / "q2.db")).start_sync() is None


def test_config_keys(tmp_path):
    from bot.config import load_config

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"sync_interval": 60, "limits": {"max_ocr_pages": 7, "max_page_mb": 2,
                                                                   "fetch_seconds": 5}}))
    config = load_config(path)
    assert config.sync_interval == 60 and config.limits.max_ocr_pages == 7
    assert config.limits.document_limits().max_ocr_pages == 7
    assert config.limits.max_page_mb == 2 and config.limits.fetch_seconds == 5
    assert load_config(None, env={}).sync_interval == 300


def test_portal_news_pages_from_the_shared_corpus(site, tmp_path):
    """The five news reports of the shared corpus, each served as a portal page (menus, a sidebar of other
    news, a footer with a visit counter around the article): added by link, their paragraphs kept, the
    portal's chrome left out, and each found by its own words."""
    from tests.conftest import shared_docs

    files = sorted(shared_docs().glob("tin-*.txt"))
    if not files:
        pytest.skip("no tin-*.txt in the shared corpus")
    knowledge, db = tmp_path / "k", tmp_path / "i.db"
    knowledge.mkdir()
    paragraphs_of = {}
    for n, path in enumerate(files):
        lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
        title = max(lines[:5], key=len)[:150]
        paragraphs_of[path.stem] = (title, [x for x in lines if len(x) > 120 and not x.startswith(title)])
        body = "".join(f"<p>{html_mod.escape(x)}</p>\n" for x in lines)
        page = (
            f"<!doctype html><html lang='vi'><head><meta charset='utf-8'><title>{html_mod.escape(title)}</title>"
            f"<meta property='article:published_time' content='2023-0{n + 1}-1{n}'></head><body>"
            "<nav><a href='/'>Trang chủ</a> <a href='/gioi-thieu'>Giới thiệu</a> <a href='/tin'>Tin tức</a></nav>"
            "<aside><h3>Tin cùng chuyên mục</h3><ul><li><a href='/x1'>Lễ ra quân mùa hè xanh tình nguyện</a></li>"
            "<li><a href='/x2'>Thông báo lịch tiếp công dân định kỳ</a></li></ul></aside>"
            f"<article><h1>{html_mod.escape(title)}</h1>{body}</article>"
            "<footer>Cơ quan chủ quản: Văn phòng UBND. Điện thoại: 0123 456 789. Lượt truy cập: 987654</footer>"
            "</body></html>"
        )
        site.pages[f"/tin/{path.stem}.html"] = ("text/html; charset=utf-8", page.encode("utf-8"))
    urls = [site.url(f"/tin/{path.stem}.html") for path in files]
    assert cli(["add", *urls, "--knowledge", str(knowledge), "--db", str(db)]) == 0
    saved = sorted((knowledge / "trang-web").glob("*.md"))
    assert len(saved) == len(files)
    searcher = Searcher(db)
    by_source = {d.source: d for d in searcher.documents}
    for path, url in zip(files, urls, strict=True):
        doc = by_source[url]
        title, paragraphs = paragraphs_of[path.stem]
        assert doc.issued and doc.issued.startswith("2023-")
        assert " ".join(doc.title.split()[:6]) == " ".join(title.split()[:6])
        text = " ".join(h.text for h in searcher.passages_of(doc.id))
        flat = " ".join(normalize(text).split())
        kept = [p for p in paragraphs if " ".join(normalize(p).split())[:100] in flat]
        assert len(kept) >= 0.9 * len(paragraphs), (path.name, len(kept))
        for chrome in ("Tin cùng chuyên mục", "mùa hè xanh", "Lượt truy cập: 987654", "Giới thiệu"):
            assert chrome not in text, (path.name, chrome)
        words = " ".join(paragraphs[0].split()[:14])
        assert searcher.search(words).hits[0].doc == doc.id, (path.name, words)


async def test_admin_uploads_a_word97_doc_and_a_photographed_page(conv: Conversation):
    from .samples import SCAN_TEXT, need_vietnamese_ocr, png, render_page, word97

    data = word97(["KẾ HOẠCH", "Số: 17/KH-UBND", "Tổ chức tết trồng cây đời đời nhớ ơn Bác Hồ ở xã Hòa Bình."] * 2)

    async def fetch(payload=data):
        return payload

    reply = await conv.handle_upload(private(""), "ke-hoach-trong-cay.doc", len(data), fetch)
    assert_telegram_html(reply.text_html)
    assert "Đã lưu và lập chỉ mục" in reply.text_html and "17/KH-UBND" in reply.text_html
    need_vietnamese_ocr()
    photo = png(render_page(SCAN_TEXT))

    async def fetch_photo():
        return photo

    reply = await conv.handle_upload(private(""), "anh-chup.png", len(photo), fetch_photo)
    assert "Đã lưu và lập chỉ mục" in reply.text_html and "45/KH-UBND" in reply.text_html
    answer = await conv.handle_message(private("giải phóng mặt bằng liên thôn Khe Sanh", 1001))
    assert "(văn bản quét)" in answer.text_html.split("\n\n")[1]


async def test_sync_does_not_reread_a_file_that_failed_until_it_changes(conv: Conversation, knowledge: Path,
                                                                        monkeypatch):
    from indexer import documents

    bad = knowledge / "hong.docx"
    bad.write_bytes(b"PK\x03\x04 not really a docx")
    reads = []
    real_prepare = documents.prepare

    def counting_prepare(path, root, limits):
        reads.append(Path(path).name)
        return real_prepare(path, root, limits)

    monkeypatch.setattr("indexer.store.prepare", counting_prepare)
    monkeypatch.setattr(conv, "config", replace(conv.config, limits=replace(conv.config.limits,
                                                                            max_parse_seconds=0)))
    first = await conv.sync()
    assert [r for r, _ in first.errors] == ["hong.docx"] and reads == ["hong.docx"]
    second = await conv.sync()
    assert second.errors == first.errors and reads == ["hong.docx"]  # reported again, not read again
    bad.write_bytes(make_docx(["Biên bản hội nghị cử tri thôn Đông Sơn về làm đường bê tông nội đồng."]))
    third = await conv.sync()
    assert not third.errors and third.added == ["hong"] and reads == ["hong.docx", "hong.docx"]
