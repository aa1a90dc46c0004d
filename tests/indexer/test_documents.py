import io
import zipfile
from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from indexer.documents import DocumentError, Limits, load, parse, scan

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for p in paragraphs:
        document.add_paragraph(p)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    if FONT.exists():
        pdf.add_font("dv", fname=str(FONT))
        pdf.set_font("dv", size=12)
    else:  # core font: Latin-1 only, so the text is typed without accents
        from indexer.analysis import fold

        lines = [fold(line) for line in lines]
        pdf.set_font("helvetica", size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def test_markdown_front_matter(knowledge):
    doc = load(knowledge / "luat" / "luat-99.md", knowledge)
    assert doc.id == "luat/luat-99"
    assert (doc.title, doc.number, doc.type, doc.issued, doc.year) == (
        "Luật Thử nghiệm về tổ dân phố", "99/2030/QH99", "Luật", "2030-01-15", 2030)
    assert doc.source == "https://example.org/luat-99"
    assert "Điều 2. Ban Thanh tra nhân dân" in doc.text and "title:" not in doc.text


def test_markdown_markup_is_not_shown(tmp_path):
    """A fact card's blockquote, bold labels, table and links read as plain text; headings stay (the splitter
    reads them), and a .txt file keeps its asterisks."""
    card = ("# Thẻ tóm tắt\n\n> Nội dung do dự án tự diễn đạt lại.\n\n- **Số, ký hiệu:** 33/CT-TTg\n\n"
            "| Chức vụ | Họ tên |\n|---|---|\n| Trưởng ban | Nguyễn Văn A |\n\n*Hà Nội, ngày 26 tháng 11 năm 2021 *\n\n"
            "Xem [trang Chính phủ](https://chinhphu.vn) và thư mục `mau/`; 2*3*4 = 24 và tên_tệp giữ nguyên.\n")
    (tmp_path / "the.md").write_text(card, encoding="utf-8")
    (tmp_path / "ghi-chu.txt").write_text("Ghi chú: **quan trọng**\n", encoding="utf-8")
    text = load(tmp_path / "the.md", tmp_path).text
    for shown in ("# Thẻ tóm tắt", "\nNội dung do dự án", "- Số, ký hiệu: 33/CT-TTg", "Chức vụ · Họ tên",
                  "Trưởng ban · Nguyễn Văn A", "\nHà Nội, ngày 26 tháng 11 năm 2021\n",
                  "Xem trang Chính phủ và thư mục mau/;", "2*3*4 = 24 và tên_tệp"):
        assert shown in text, shown
    assert not any(mark in text for mark in ("**", "|", "> ", "---", "](", "`"))
    assert "**quan trọng**" in load(tmp_path / "ghi-chu.txt", tmp_path).text
    # what is not markup stays, and markup a converter left unpaired goes
    (tmp_path / "bang.md").write_text(
        "5.** **Việc sử dụng tiền** **ủng hộ\n\nbắt buộc (*) và khác (*)\n\n> 80% số hộ: 10 điểm\n\n"
        "| 2 | | 10 | Bổ sung sau |\n| 3 | Nguyễn Văn B\n\nXem [Nghị định](https://x.vn/nd(61)) và HS__2023__01.\n\n"
        "GIÁO VỤ *(Ký, ghi rõ họ tên)* và 2 * 3 * 4 = 24\n",
        encoding="utf-8")
    text = load(tmp_path / "bang.md", tmp_path).text
    for shown in ("5. Việc sử dụng tiền ủng hộ", "bắt buộc (*) và khác (*)", "> 80% số hộ: 10 điểm",
                  "2 · – · 10 · Bổ sung sau", "3 · Nguyễn Văn B", "Xem Nghị định và HS__2023__01.",
                  "GIÁO VỤ (Ký, ghi rõ họ tên) và 2 * 3 * 4 = 24"):
        assert shown in text, shown


def test_news_page_without_metadata_is_inferred_and_chrome_dropped(knowledge):
    doc = load(knowledge / "tin-hoa-binh.txt", knowledge)
    assert doc.title == "Phường Hòa Bình sơ kết công tác dân vận 6 tháng đầu năm 2031"
    assert doc.year == 2031 and doc.number is None
    assert "Skip to main content" not in doc.text and "Lượt xem" not in doc.text
    assert "27 mô hình" in doc.text


def test_attachment_and_image_file_names_are_chrome(tmp_path):
    """A saved page's image captions and attachment links ("…_600_13032023.jpg", "Phu luc_… .doc") and its
    link boxes are not text to answer with; a sentence that names a file is."""
    page = ("Huyện An Hòa sơ kết công tác dân vận\n\nAnh hoi nghi_600_01022031.jpg\n\n"
            "Hội nghị đánh giá kết quả công tác dân vận sáu tháng đầu năm của huyện.\n\n"
            "Phu luc_kem theo ke hoach so 12.doc\n\nLiên kết website\n\n"
            "Mẫu báo cáo đăng trên cổng thông tin của huyện, tệp mau-bao-cao.pdf.\n")
    (tmp_path / "tin.txt").write_text(page, encoding="utf-8")
    text = load(tmp_path / "tin.txt", tmp_path).text
    assert ".jpg" not in text and "Phu luc" not in text and "Liên kết" not in text
    assert "Hội nghị đánh giá" in text and "tệp mau-bao-cao.pdf." in text


def test_inferred_number_type_and_date_from_header():
    text = ("ỦY BAN NHÂN DÂN XÃ AN PHÚ\nSố: 45/KH-UBND\nAn Phú, ngày 26 tháng 11 năm 2021\n\n"
            "KẾ HOẠCH\nThực hiện Chỉ thị số 33/CT-TTg ngày 26/11/2021 của Thủ tướng Chính phủ\n\n"
            "Kế hoạch thực hiện Chỉ thị của Thủ tướng Chính phủ về công tác dân vận.")
    doc = parse(text.encode(), ".txt", "kh-45")
    assert doc.number == "45/KH-UBND" and doc.type == "Kế hoạch"
    assert doc.issued == "2021-11-26"


def test_a_news_title_that_opens_with_a_committee_is_no_letterhead():
    """"Huyện ủy …" in capitals is a letterhead; a long sentence-case line that opens with it is the title, not
    the photo caption further down."""
    text = ("HUYỆN ỦY AN HÒA\n\nHuyện ủy An Hòa triển khai nhiệm vụ công tác dân vận năm 2031.\n\n"
            "Sáng 5/1, Huyện ủy An Hòa tổ chức hội nghị triển khai nhiệm vụ công tác dân vận năm 2031 với sự tham "
            "dự của cán bộ làm công tác dân vận các xã, thị trấn trong huyện.\n\n"
            "Đồng chí Trần Văn B - Phó Bí thư Huyện ủy phát biểu chỉ đạo hội nghị triển khai công tác dân vận.\n")
    assert parse(text.encode(), ".txt", "tin-an-hoa").title == (
        "Huyện ủy An Hòa triển khai nhiệm vụ công tác dân vận năm 2031")


def test_broken_front_matter_warns_and_keeps_text():
    data = "---\ntitle: [unclosed\n---\nNội dung văn bản về công tác dân vận ở cơ sở.\n".encode()
    doc = parse(data, ".md", "x")
    assert doc.warnings and "YAML" in doc.warnings[0]
    assert "công tác dân vận" in doc.text


def test_docx_paragraphs_and_tables():
    data = make_docx(["Kế hoạch số 12/KH-UBND về dân vận chính quyền năm 2024",
                      "Ủy ban nhân dân xã giao Công an xã phối hợp thực hiện."],
                     table=[["Nhiệm vụ", "Đơn vị chủ trì"], ["Tiếp công dân", "Văn phòng UBND"]])
    doc = parse(data, ".docx", "kh-12")
    assert "Công an xã phối hợp" in doc.text
    assert "Tiếp công dân | Văn phòng UBND" in doc.text


def test_pdf_text_layer():
    doc = parse(make_pdf(["Báo cáo sơ kết công tác dân vận năm 2024",
                          "Toàn xã có 17 mô hình Dân vận khéo."]), ".pdf", "bc")
    assert "17" in doc.text and ("Dân vận khéo" in doc.text or "Dan van kheo" in doc.text)


def test_html_main_text_without_navigation():
    body = " ".join(["Hội nghị đối thoại giữa Ủy ban nhân dân phường với Nhân dân về chỉnh trang đô thị."] * 4)
    html = f"""<html><head><title>Đối thoại với Nhân dân phường Hòa Bình</title></head><body>
    <nav><a href="/">Trang chủ</a> <a href="/tin">Tin tức</a> Skip to main content</nav>
    <article><h1>Đối thoại với Nhân dân phường Hòa Bình</h1><p>{body}</p>
    <p>Có 150 đại biểu tham dự, 12 ý kiến được trả lời ngay tại hội nghị.</p></article>
    <footer>Bản quyền thuộc Cổng thông tin điện tử phường. Lượt xem: 1234</footer></body></html>"""
    doc = parse(html.encode(), ".html", "tin")
    assert "12 ý kiến được trả lời" in doc.text
    assert "Trang chủ" not in doc.text and "Lượt xem" not in doc.text
    assert doc.title == "Đối thoại với Nhân dân phường Hòa Bình"


@pytest.mark.parametrize(
    "data,suffix,reason",
    [
        (b"", ".md", "rỗng"),
        (b"\x00\x01\x02binary\x00", ".txt", "nhị phân"),
        (b"PK\x03\x04 not really a zip", ".docx", "hỏng"),
        (b"%PDF-1.4 garbage", ".pdf", "hỏng"),
        (b"abc", ".exe", "chưa được hỗ trợ"),
    ],
)
def test_bad_files_raise_clear_errors(data, suffix, reason):
    with pytest.raises(DocumentError, match=reason):
        parse(data, suffix, "bad")


def test_docx_zip_bomb_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"0" * (5 * 2**20))
    with pytest.raises(DocumentError, match="giải nén quá lớn"):
        parse(buf.getvalue(), ".docx", "bomb", Limits(max_unzipped_bytes=2**20))


def test_scanned_pdf_without_text_is_reported():
    pdf = FPDF()
    pdf.add_page()
    with pytest.raises(DocumentError, match="bản quét"):
        parse(bytes(pdf.output()), ".pdf", "scan")


def test_scan_skips_hidden_and_unsupported(knowledge):
    (knowledge / ".hidden.md").write_text("x", encoding="utf-8")
    (knowledge / "viet-tat.yaml").write_text("a: b", encoding="utf-8")
    names = [p.name for p in scan(knowledge)]
    assert names == ["ct-33.md", "luat-99.md", "tin-hoa-binh.txt"]


def test_docx_title_skips_letterhead():
    data = make_docx(["ỦY BAN NHÂN DÂN XÃ AN PHÚ", "Số: 45/KH-UBND", "An Phú, ngày 26 tháng 11 năm 2021",
                      "KẾ HOẠCH", "Thực hiện Chỉ thị số 33/CT-TTg của Thủ tướng Chính phủ",
                      "Ủy ban nhân dân xã ban hành Kế hoạch thực hiện Chỉ thị như sau."])
    doc = parse(data, ".docx", "kh-45")
    assert doc.title == "Kế hoạch thực hiện Chỉ thị số 33/CT-TTg của Thủ tướng Chính phủ"
    assert (doc.number, doc.type, doc.issued) == ("45/KH-UBND", "Kế hoạch", "2021-11-26")


def test_saved_wiki_page_loses_edit_links_and_reference_sections():
    page = (
        "# Ban Dân vận\n\n## Lịch sử\n[sửa | sửa mã nguồn]Ban được thành lập để vận động quần chúng.\n\n"
        "## Tham khảo\n[sửa | sửa mã nguồn]^\"Một bài báo\". Truy cập ngày 3 tháng 2 năm 2025.\n\n"
        "## Nhiệm vụ\n[sửa]Tham mưu cho cấp ủy về công tác dân vận.\n"
    )
    doc = parse(page.encode(), ".md", "wiki")
    assert "sửa mã nguồn" not in doc.text and "[sửa]" not in doc.text
    assert "Truy cập" not in doc.text
    assert "## Nhiệm vụ\nTham mưu cho cấp ủy" in doc.text and "## Lịch sử\nBan được thành lập" in doc.text


def test_garbled_share_counts_like_unicode_categories():
    """The regex behind _garbled_share counts exactly the non-space U+FFFD / Co / Cc / Cs characters."""
    import unicodedata

    from indexer.documents import _garbled_share

    def reference(text):
        sample = [c for c in text[:200_000] if not c.isspace()]
        bad = sum(1 for c in sample if c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cs"))
        return bad / len(sample) if len(sample) >= 20 else 0.0

    every = "".join(chr(i) for i in range(0x110000))
    for start in range(0, len(every), 40):
        chunk = every[start:start + 40]
        assert _garbled_share(chunk) == reference(chunk), hex(start)
    assert _garbled_share("Công tác dân vận \ufffd\ufffd " * 10) == reference("Công tác dân vận \ufffd\ufffd " * 10)


def test_looks_binary_counts_controls_like_before():
    from indexer.documents import _BINARY_WHITESPACE, _looks_binary

    def reference(text):
        sample = text[:65536]
        controls = sum(1 for c in sample if (c < " " and c not in _BINARY_WHITESPACE) or "\x7f" <= c <= "\x9f")
        return controls > max(2, len(sample) // 100)

    every = "".join(chr(i) for i in range(0x300))
    for start in range(0, len(every), 16):
        for text in (every[start:start + 16], every[start:start + 16] * 3 + "a" * 200, "a" * 300):
            assert _looks_binary(text) == reference(text)


def test_text_keeps_its_own_spelling(tmp_path):
    """Tone marks stay where the document puts them ("Uỷ ban", "hoà giải"): a quotation must match the
    source; searching is not affected, since terms drop the marks."""
    from indexer.search import Searcher
    from indexer.store import build

    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "to-hoa-giai.md").write_text(
        "# Quy chế tổ hoà giải ở cơ sở\n\nUỷ ban nhân dân xã công nhận tổ hoà giải và tổ trưởng tổ hoà giải "
        "theo đề nghị của Ban công tác Mặt trận ở thôn.\n", encoding="utf-8")
    build(folder, tmp_path / "index.db")
    hit = Searcher(tmp_path / "index.db").search("Ủy ban nhân dân xã công nhận tổ hòa giải").hits[0]
    assert "Uỷ ban nhân dân xã công nhận tổ hoà giải" in hit.text and hit.heading == "Quy chế tổ hoà giải ở cơ sở"


def test_subsection_label_is_not_indexed():
    """'Tiểu mục 2' folds to 'tieu muc': left out of a passage's terms, or 'tiêu chuẩn' in a question would favour
    every article of the subsection. Its title is indexed."""
    from indexer.documents import index_terms

    doc = parse(b"Chu de thu nghiem", ".txt", "x")
    heading = "Mục 4. NHÂN DÂN GIÁM SÁT › Tiểu mục 2. BAN THANH TRA › Điều 36. Tổ chức Ban"
    got = index_terms(doc, heading, "Ban gồm các thành viên được bầu.")
    assert "tieu" not in got and "thanh_tra" in got and "giam_sat" in got


def test_a_codification_source_note_is_shown_but_not_searched():
    """Every article of a Bộ pháp điển chapter opens with "(Điều … , có hiệu lực thi hành kể từ ngày …)": left out of
    the terms, or every article would answer "có hiệu lực từ khi nào"; the same words in the article's text count."""
    from indexer.documents import index_terms

    doc = parse(b"Chu de thu nghiem", ".txt", "x")
    note = "(Điều 12 Nghị định số 61/2023/NĐ-CP, có hiệu lực thi hành kể từ ngày 16/08/2023)\n"
    assert "hieu_luc" not in index_terms(doc, "", note + "1. Hương ước bị tạm ngừng thực hiện.")
    assert "hieu_luc" in index_terms(doc, "", note + "1. Quyết định có hiệu lực kể từ ngày ký.")
    assert "hieu_luc" in index_terms(doc, "", "Quy ước (Điều 3, có hiệu lực từ ngày ký) được công nhận.")
