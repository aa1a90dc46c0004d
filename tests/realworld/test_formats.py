"""Real-world formats, read by real tools: Word 97-2003 .doc, OpenDocument .odt, scanned PDFs and pictures
(Tesseract OCR with the Vietnamese model), text typed in TCVN3 (.VnTime) or VNI fonts."""

from __future__ import annotations

import shutil
import unicodedata

import pytest

from indexer import documents, legacy, msword, ocr
from indexer.documents import DocumentError, Limits, parse
from indexer.search import Searcher
from indexer.store import build
from tests.hardening.hostile import FONT, make_docx, make_pdf

from .samples import (
    SCAN_TEXT,
    need,
    need_vietnamese_ocr,
    png,
    render_page,
    scanned_pdf,
    tcvn3,
    vni,
    word97,
)

TEXT = [
    "KẾ HOẠCH",
    "Triển khai phong trào thi đua \"Dân vận khéo\" ở thôn Đồng Tâm năm 2025",
    "Ủy ban nhân dân xã phối hợp với Ủy ban Mặt trận Tổ quốc Việt Nam xã tổ chức hội nghị nhân dân, "
    "lấy ý kiến về hương ước, quy ước và việc đóng góp xây dựng đường giao thông nông thôn.",
    "Đoàn Thanh niên, Hội Phụ nữ, Hội Nông dân, Hội Cựu chiến binh vận động hội viên tham gia.",
]
NO_LIMIT = Limits(parse_timeout=0)


def char_accuracy(expected: str, got: str) -> float:
    """1 - (Levenshtein distance / length of the expected text), whitespace runs counted as one space."""
    a, b = " ".join(expected.split()), " ".join(got.split())
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = row
    return 1 - previous[-1] / len(a)


# -- .doc ------------------------------------------------------------------------------------------------
def test_word97_doc_is_read_by_each_installed_converter(monkeypatch):
    data = word97(TEXT)
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # a real OLE2 Word file
    doc = parse(data, ".doc", "ke-hoach", NO_LIMIT)
    assert "hương ước, quy ước" in doc.text and "Hội Cựu chiến binh" in doc.text
    assert doc.title.startswith("Triển khai phong trào thi đua") or doc.title.startswith("Kế hoạch")
    tried = 0
    for name, _ in msword.CONVERTERS:  # each converter alone gives the same words
        if name not in msword.available():
            continue
        monkeypatch.setattr(msword, "available", lambda name=name: [name])
        text = parse(data, ".doc", "x", NO_LIMIT).text
        assert "Đoàn Thanh niên, Hội Phụ nữ" in text, name
        tried += 1
    assert tried >= 1


def test_doc_renamed_docx_and_docx_renamed_doc():
    data = word97(TEXT)
    assert "Hội Phụ nữ" in parse(data, ".docx", "x", NO_LIMIT).text
    assert "Hội Phụ nữ" in parse(make_docx(TEXT), ".doc", "x", NO_LIMIT).text


def test_rtf_and_web_page_saved_as_doc():
    rtf = word97(TEXT, "rtf")
    assert rtf.startswith(b"{\\rtf")
    for suffix in (".rtf", ".doc"):
        assert "Hội Cựu chiến binh" in parse(rtf, suffix, "x", NO_LIMIT).text, suffix
    page = ("<html><head><meta charset='utf-8'><title>Kế hoạch</title></head><body>"
            + "".join(f"<p>{p}</p>" for p in TEXT) + "</body></html>").encode()
    assert "Hội Phụ nữ, Hội Nông dân" in parse(page, ".doc", "x", NO_LIMIT).text


def test_doc_without_any_converter_says_what_to_install(monkeypatch):
    monkeypatch.setattr(msword.tools, "which", lambda name: None)
    with pytest.raises(DocumentError, match="chưa cài công cụ đọc tệp Word cũ .*setup-system"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, ".doc", "x", NO_LIMIT)


def test_broken_doc_is_reported():
    need("catdoc")
    with pytest.raises(DocumentError, match=r"tệp Word cũ \(.doc\) bị hỏng"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, ".doc", "x", NO_LIMIT)


def test_odt_is_read_by_libreoffice(tmp_path):
    data = word97(TEXT, "odt")  # a .docx written here, saved as .odt by LibreOffice
    assert data.startswith(b"PK\x03\x04") and b"application/vnd.oasis.opendocument.text" in data[:200]
    doc = parse(data, ".odt", "ke-hoach", NO_LIMIT)
    assert "hương ước, quy ước" in doc.text and "Hội Cựu chiến binh" in doc.text
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "ke-hoach.odt").write_bytes(data)
    (folder / "so-lieu.xlsx").write_bytes(b"PK\x03\x04 not read")
    report = build(folder, tmp_path / "index.db", limits=NO_LIMIT)
    assert report.errors == [("so-lieu.xlsx", documents.UNSUPPORTED_DOCUMENTS[".xlsx"])]
    hit = Searcher(tmp_path / "index.db").search("hương ước quy ước đóng góp đường giao thông").hits[0]
    assert hit.doc == "ke-hoach"


def test_odt_without_libreoffice_and_broken_odt(monkeypatch):
    with pytest.raises(DocumentError, match=r"tệp \.odt bị hỏng \(không phải tệp OpenDocument hợp lệ\)"):
        parse(b"PK\x03\x04 broken", ".odt", "x", NO_LIMIT)
    monkeypatch.setattr(msword.tools, "which", lambda name: None)
    with pytest.raises(DocumentError, match="chưa cài LibreOffice để đọc tệp .odt.*setup-system"):
        parse(make_docx(TEXT), ".odt", "x", NO_LIMIT)  # a package that opens: LibreOffice would read it


# -- scans -------------------------------------------------------------------------------------------------
def test_ocr_accuracy_on_a_rendered_scan(capsys):
    """Render a known Vietnamese page at 300 dpi into a PDF with no text layer, OCR it, compare."""
    need_vietnamese_ocr()
    data = scanned_pdf([SCAN_TEXT])
    import io

    from pypdf import PdfReader

    assert not PdfReader(io.BytesIO(data)).pages[0].extract_text().strip()  # really no text layer
    doc = parse(data, ".pdf", "quet", NO_LIMIT)
    accuracy = char_accuracy("\n".join(SCAN_TEXT), doc.text)
    with capsys.disabled():
        print(f"\nOCR character accuracy (Tesseract vie, 300 dpi, DejaVu Sans 12 pt): {accuracy:.4f}")
    assert accuracy >= 0.95
    assert doc.ocr and doc.number == "45/KH-UBND"


def test_ocr_accuracy_on_a_degraded_photo(capsys):
    """The same page as a poor copy: 200 dpi, skewed 1.2°, blurred, speckled, JPEG quality 60."""
    need_vietnamese_ocr()
    import io
    import random

    from PIL import ImageFilter

    rng = random.Random(1)
    image = render_page(SCAN_TEXT, dpi=200).rotate(1.2, fillcolor=255).filter(ImageFilter.GaussianBlur(0.8))
    pixels = image.load()
    for _ in range(60000):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.choice((0, 128, 255))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=60)
    doc = parse(buf.getvalue(), ".jpg", "anh", NO_LIMIT)
    accuracy = char_accuracy("\n".join(SCAN_TEXT), doc.text)
    with capsys.disabled():
        print(f"\nOCR character accuracy, degraded photo (200 dpi, skew, blur, noise, JPEG 60): {accuracy:.4f}")
    assert accuracy >= 0.9 and doc.number == "45/KH-UBND"


def test_ocr_of_pictures():
    need_vietnamese_ocr()
    image = render_page(SCAN_TEXT[3:7])
    for suffix, fmt in ((".png", "PNG"), (".jpg", "JPEG")):
        import io

        buf = io.BytesIO()
        image.convert("RGB").save(buf, format=fmt, quality=90)
        doc = parse(buf.getvalue(), suffix, "anh", NO_LIMIT)
        assert doc.ocr
        assert char_accuracy("\n".join(SCAN_TEXT[3:7]), doc.text) >= 0.95, suffix


def test_only_pages_without_text_are_ocrd_and_progress_is_reported():
    need_vietnamese_ocr()
    typed = ["Trang đầu đánh máy: Báo cáo sơ kết công tác dân vận sáu tháng đầu năm của Đảng ủy xã."] * 3
    data = scanned_pdf([SCAN_TEXT[:5], SCAN_TEXT[5:]], typed_first=typed)
    notes = []
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "bao-cao.pdf").write_bytes(data)
        for timeout in (0, 60):  # in this process, and in a reader process
            notes.clear()
            [(_, prepared)] = list(documents.run_isolated(
                documents.prepare, [(str(Path(root) / "bao-cao.pdf"), root, Limits(parse_timeout=timeout))],
                timeout=timeout, on_note=lambda job, text: notes.append(text),
            ))
            assert prepared.doc.ocr
            text = "\n".join(p[2] for p in prepared.passages)
            assert "Trang đầu đánh máy" in text and "giải phóng mặt bằng" in text
            assert notes == ["OCR trang 1/2", "OCR trang 2/2"], timeout


def test_a_typed_pdf_with_blank_pages_is_not_ocrd(monkeypatch):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_font("dv", fname=str(FONT))
    for _ in range(3):
        pdf.add_page()  # blank separator pages
    pdf.add_page()
    pdf.set_font("dv", size=12)
    pdf.multi_cell(0, 8, TEXT[2])
    monkeypatch.setattr(ocr, "ocr_pdf_pages", lambda *a, **k: pytest.fail("OCR of blank pages"))
    doc = parse(bytes(pdf.output()), ".pdf", "x", NO_LIMIT)
    assert not doc.ocr and "Mặt trận Tổ quốc" in doc.text


def test_ocr_page_limit_and_missing_tesseract(monkeypatch):
    need_vietnamese_ocr()
    data = scanned_pdf([SCAN_TEXT[:2]] * 3)
    with pytest.raises(DocumentError, match="bản quét.*3 trang, vượt giới hạn nhận dạng chữ .OCR. 2 trang"):
        parse(data, ".pdf", "x", Limits(parse_timeout=0, max_ocr_pages=2))
    monkeypatch.setattr(ocr.tools, "which", lambda name: None)
    with pytest.raises(DocumentError, match="không có lớp chữ .bản quét.*chưa cài Tesseract.*setup-system"):
        parse(data, ".pdf", "x", NO_LIMIT)


def test_ocr_stops_within_the_time_limit(monkeypatch):
    need_vietnamese_ocr()
    data = scanned_pdf([SCAN_TEXT[:3]] * 6)
    with pytest.raises(DocumentError, match="nhận dạng chữ .OCR. xong \\d trang thì hết thời gian cho phép .3 giây"):
        parse(data, ".pdf", "x", Limits(parse_timeout=3))


def test_scans_are_indexed_and_remember_ocr(tmp_path):
    need_vietnamese_ocr()
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    (knowledge / "ke-hoach-quet.pdf").write_bytes(scanned_pdf([SCAN_TEXT]))
    (knowledge / "danh-may.pdf").write_bytes(make_pdf(TEXT))
    (knowledge / "anh-chup.png").write_bytes(png(render_page(TEXT[1:2])))
    report = build(knowledge, tmp_path / "i.db")
    assert not report.errors and report.documents == 3, report.errors
    s = Searcher(tmp_path / "i.db")
    hit = s.search("giải phóng mặt bằng liên thôn Khe Sanh").hits[0]
    assert hit.doc == "ke-hoach-quet" and hit.ocr
    assert s.document("ke-hoach-quet").ocr and s.document("anh-chup").ocr
    assert not s.document("danh-may").ocr
    assert not s.search("hương ước quy ước đường giao thông nông thôn").hits[0].ocr


# -- legacy encodings ----------------------------------------------------------------------------------------
LEGACY_TEXT = (
    "Ủy ban nhân dân xã Đông Hòa tổ chức Hội nghị nhân dân bàn về hương ước, quy ước của thôn; "
    "Ban Thanh tra nhân dân giám sát việc đóng góp xây dựng đường giao thông nông thôn năm 2024."
)


def test_tcvn3_and_vni_text_files_are_converted():
    for name, data in (("tcvn3", tcvn3(LEGACY_TEXT)), ("vni", vni(LEGACY_TEXT).encode("latin-1"))):
        doc = parse(data, ".txt", name, NO_LIMIT)
        assert doc.text.lower() == unicodedata.normalize("NFC", LEGACY_TEXT).lower(), name
        assert doc.warnings == [f"chữ trong tệp dùng bảng mã cũ {name.upper()}, đã chuyển sang Unicode"]
    # VNI keeps capitals; TCVN3 typed with .VnTime has them as small letters
    assert parse(vni(LEGACY_TEXT).encode("latin-1"), ".txt", "v", NO_LIMIT).text == LEGACY_TEXT


def test_tcvn3_capitals_font_in_docx_keeps_its_capitals():
    """.VnTimeH draws small-letter codes as capitals: a heading typed in it comes out in capitals, so the
    document's type line and its upper-case headings are recognised; body text in .VnTime is converted as before."""
    import io

    import docx

    document = docx.Document()
    for text, font in (("Kế hoạch", ".VnTimeH"), ("Triển khai hương ước, quy ước năm 2024", ".VnTime"),
                       ("I. Mục đích, yêu cầu", ".VnArialH"), (LEGACY_TEXT, ".VnTime")):
        document.add_paragraph().add_run(tcvn3(text).decode("latin-1")).font.name = font
    document.add_paragraph().add_run("Phụ lục kèm theo").font.name = ".VnTimeH"  # Unicode in that font: as is
    out = io.BytesIO()
    document.save(out)
    doc = parse(out.getvalue(), ".docx", "ke-hoach-cu", NO_LIMIT)
    lines = doc.text.split("\n\n")
    assert lines[0] == "KẾ HOẠCH" and lines[2] == "I. MỤC ĐÍCH, YÊU CẦU"
    assert lines[3].lower() == unicodedata.normalize("NFC", LEGACY_TEXT).lower()
    assert doc.title.lower() == "kế hoạch triển khai hương ước, quy ước năm 2024"
    assert lines[4] == "Phụ lục kèm theo"


def test_legacy_text_in_docx_and_pdf_is_converted():
    paragraphs = ["Kế hoạch", tcvn3(LEGACY_TEXT).decode("latin-1"), vni("Đoàn Thanh niên xung kích tình nguyện")]
    doc = parse(make_docx(paragraphs), ".docx", "x", NO_LIMIT)
    assert "hương ước, quy ước của thôn" in doc.text
    assert any("TCVN3" in w for w in doc.warnings)
    if FONT.exists():
        pdf = parse(make_pdf([vni(LEGACY_TEXT)]), ".pdf", "p", NO_LIMIT)
        assert "Ban Thanh tra nhân dân giám sát" in pdf.text


def test_punctuation_of_windows_1252_survives_the_conversion():
    line = "Đảng ủy xã – “Dân vận khéo” … năm 2024"
    typed = "".join(tcvn3(c).decode("latin-1") if not c.isascii() and c not in "–“”…" else c for c in line)
    assert legacy.fix("\n".join([typed] * 3)) == ("\n".join([line] * 3), "TCVN3")


def test_mixed_document_converts_only_the_legacy_lines():
    unicode_line = "Đảng ủy xã lãnh đạo công tác dân vận."
    text = "\n".join([unicode_line, vni(LEGACY_TEXT), unicode_line])
    fixed, encoding = legacy.fix(text)
    assert encoding == "VNI"
    assert fixed.splitlines() == [unicode_line, LEGACY_TEXT, unicode_line]


def test_other_languages_and_unicode_are_left_alone():
    for text in (
        "Die Größe der Übung für Straßen in Hà Nội, schön. " * 3,
        "Le député a été élu à Paris, où il a présenté ses vœux; ça va, garçon? " * 3,
        LEGACY_TEXT * 2,
        "Trận đấu — “Dân vận khéo” © 2024 ® ½ · ¶ §",
        "Đảng ủy xã lãnh đạo công tác dân vận.\n" + "Copyright © 2024 – ® · ¶\n" * 2,
    ):
        assert legacy.fix(text) == (text, None), text[:30]


def test_every_vietnamese_letter_round_trips():
    letters = "".join(sorted(legacy._vni_table()))
    assert len(letters) == 134  # 67 small letters with marks (and đ), and their capitals
    assert legacy.decode_vni(vni(letters)) == letters
    words = " ".join(f"x{c}y" for c in letters)  # inside words, as in text
    assert legacy.fix(vni(words))[0] == words
    assert legacy.fix(tcvn3(words).decode("latin-1"))[0].lower() == words.lower()


SETUP = documents._PACKAGE_ROOT / "scripts" / "setup-system"


def test_setup_script_without_apt_says_what_to_install():
    import subprocess

    done = subprocess.run(["/bin/bash", str(SETUP)], env={"PATH": "/nonexistent"}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and not done.stdout
    assert "no apt-get" in done.stderr and "tesseract-ocr-vie" in done.stderr and "antiword" in done.stderr


def test_setup_script_is_quiet_when_everything_is_installed():
    import subprocess

    need("antiword", "catdoc", "tesseract", "pdftoppm")
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice is not installed")
    done = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


async def test_the_bot_marks_answers_from_scans(tmp_path):
    need_vietnamese_ocr()
    from bot.config import Config
    from bot.conversation import Conversation, Incoming
    from bot.querylog import QueryLog
    from tests.bot.bot_testkit import assert_telegram_html
    from tests.bot.conftest import OPEN, write_knowledge

    knowledge = write_knowledge(tmp_path / "k")
    (knowledge / "ke-hoach-quet.pdf").write_bytes(scanned_pdf([SCAN_TEXT]))
    (knowledge / "danh-may.docx").write_bytes(make_docx(TEXT))
    db = tmp_path / "i.db"
    assert not build(knowledge, db, visibility=OPEN).errors
    log = QueryLog(tmp_path / "q.db")
    conv = Conversation(Config.for_paths(knowledge, db, visibility=OPEN), log)
    try:
        ask = Incoming(user_id=5, chat_id=5, chat_type="private", text="giải phóng mặt bằng liên thôn Khe Sanh")
        reply = await conv.handle_message(ask)
        assert_telegram_html(reply.text_html)
        first = reply.text_html.split("\n\n")[1]
        assert "Kế hoạch" in first and "(văn bản quét)" in first
        other = await conv.handle_message(
            Incoming(user_id=5, chat_id=5, chat_type="private", text="Hội Cựu chiến binh vận động hội viên"))
        assert "(văn bản quét)" not in other.text_html.split("\n\n")[1]
        listing = await conv.handle_message(Incoming(user_id=5, chat_id=5, chat_type="private", text="/danhsach"))
        assert listing.text_html.count("(văn bản quét)") == 1 and listing.text_html.count("cập nhật") == 5
    finally:
        conv.close()
        log.close()


def test_a_picture_bomb_is_refused_quickly():
    """100 kB of PNG that decompress to a 24000 x 24000 picture: stopped at the time limit (and OCR tools run
    under a 2 GB address-space limit)."""
    need_vietnamese_ocr()
    import io
    import time

    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (24000, 24000), 1).save(buf, format="PNG", optimize=True)
    assert len(buf.getvalue()) < 200_000
    started = time.monotonic()
    with pytest.raises(DocumentError, match="không đọc được ảnh|hết thời gian|không có chữ"):
        parse(buf.getvalue(), ".png", "bom", Limits(parse_timeout=5))
    assert time.monotonic() - started < 15


def test_legacy_counts_are_the_per_character_counts():
    """_counts tallies distinct characters through a cache: the same as classifying every character."""

    def reference(text):
        foreign = latin = 0
        for c in text:
            if c.isascii():
                continue
            if legacy._is_foreign(c):
                foreign += 1
                latin += 1
            elif c.isalpha() and unicodedata.normalize("NFD", c)[0].isascii() or c in "đĐ":
                latin += 1
        return foreign, latin

    every = "".join(chr(i) for i in range(0x3000))
    for start in range(0, len(every), 64):
        chunk = every[start:start + 64]
        assert legacy._counts(chunk) == reference(chunk), hex(start)
    for text in (LEGACY_TEXT, vni(LEGACY_TEXT), tcvn3(LEGACY_TEXT).decode("latin-1"), "", "abc",
                 "Die Größe der Übung für Straßen in Hà Nội, schön. " * 3, "© 2024 ® ½ · ¶ §" * 4):
        assert legacy._counts(text) == reference(text)


def test_legacy_detect_shortcut_only_skips_texts_it_could_not_convert():
    """detect() stops early on a text with fewer than MIN_FOREIGN foreign characters: such a text never had
    MIN_FOREIGN of them inside words either, so the answer is the same."""
    few = "Đảng ủy xã " + " nh©n" * (legacy.MIN_FOREIGN - 1) + " lãnh đạo công tác dân vận.\n"
    assert legacy._counts(few)[0] == legacy.MIN_FOREIGN - 1 and legacy.detect(few) is None
    assert legacy.detect(vni(LEGACY_TEXT)) == "VNI"
    assert legacy.detect(tcvn3(LEGACY_TEXT).decode("latin-1")) == "TCVN3"
