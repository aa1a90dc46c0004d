import pytest

from indexer.query import Abbreviations, DocRef, find_refs, names, parse, ref_matches, strip_question_words
from indexer.search import Searcher, snippet
from indexer.store import build

CT16_2020 = """---
title: Chỉ thị về các biện pháp cấp bách phòng, chống dịch bệnh (mẫu kiểm thử)
number: 16/CT-TTg
type: Chỉ thị
issued: '2020-03-31'
---

Thực hiện cách ly toàn xã hội trong 15 ngày để phòng, chống dịch bệnh.
"""
CT16_2016 = """---
title: Chỉ thị về đổi mới công tác dân vận trong cơ quan hành chính nhà nước (mẫu kiểm thử)
number: 16/CT-TTg
type: Chỉ thị
issued: '2016-05-16'
---

Cơ quan hành chính nhà nước các cấp đổi mới phong cách làm việc, gần dân, trọng dân.
"""


@pytest.fixture
def searcher(knowledge, tmp_path):
    (knowledge / "ct-16-2020.md").write_text(CT16_2020, encoding="utf-8")
    (knowledge / "ct-16-2016.md").write_text(CT16_2016, encoding="utf-8")
    (knowledge / "ban-sao-luat.md").write_text(
        (knowledge / "luat" / "luat-99.md").read_text().replace("title: Luật", "title: Bản sao Luật"),
        encoding="utf-8")
    db = tmp_path / "index.db"
    build(knowledge, db)
    return Searcher(db, Abbreviations({"UBND": ["Ủy ban nhân dân"], "BTTND": ["Ban Thanh tra nhân dân"]}))


def test_document_references_in_questions():
    assert find_refs("chi thi 33 la gi") == [DocRef("33", "ct", None)]
    assert find_refs("NĐ 59/2023 quy định gì") == [DocRef("59", "nd", 2023)]
    assert find_refs("Theo 33/CT-TTg") == [DocRef("33", "ct", None)]
    assert find_refs("nghị định 59/2023/NĐ-CP") == [DocRef("59", "nd", 2023)]
    assert find_refs("Luật 10/2022") == [DocRef("10", "qh", 2022)]
    assert find_refs("CT 16 năm 2020") == [DocRef("16", "ct", 2020)]
    # a count after a type word is no document number
    assert find_refs("báo cáo 6 tháng đầu năm 2024") == find_refs("kế hoạch 5 năm") == []
    assert find_refs("hướng dẫn 3 bước") == find_refs("quyết định 2 lần") == []
    assert find_refs("Kế hoạch 45 ngày 12/3/2024") == [DocRef("45", "kh", 2024)]
    assert find_refs("Nghị quyết 8b-NQ/HNTW") == find_refs("NQ 8b về công tác quần chúng") == [DocRef("8b", "nq")]
    assert find_refs("Nghị quyết 8B-NQ/HNTW") == [DocRef("8b", "nq")]  # as officially written
    # "pháp luật" is no law's type word; a year after a type word may be a year: found if a document has that
    # number, counted as the question's year, never a document the bot lacks
    assert find_refs("theo quy định của pháp luật 2022") == find_refs("của pháp luật. 2 Ủy ban") == []
    assert [r.year_like for r in find_refs("luật 2022 về dân chủ, QĐ 2579")] == [True, False]
    assert parse("nghị định 2023 về hương ước").years == [2023]
    assert ref_matches(DocRef("33", "ct"), "33/CT-TTg", "Chỉ thị", 2021)
    assert not ref_matches(DocRef("33", "nq"), "33/CT-TTg", "Chỉ thị", 2021)
    assert ref_matches(DocRef("10", "qh", 2022), "10/2022/QH15", "Luật", 2022)


def test_question_words_are_dropped():
    assert strip_question_words("Ban Thanh tra nhân dân gồm bao nhiêu người?") == "Ban Thanh tra nhân dân gồm . người"
    assert strip_question_words("co duoc lam lai khong") == "co duoc lam lai"
    # polite openers and forms of address too, not the same words inside a question
    assert strip_question_words("Chào anh, cho em hỏi trưởng thôn do ai bầu") == "trưởng thôn do . bầu"
    assert strip_question_words("anh oi cho hoi truong thon") == "truong thon"
    assert strip_question_words("hỏi ý kiến cho người dân") == "hỏi ý kiến cho người dân"


def test_a_polite_opener_or_a_documents_short_name_keeps_an_answer_confident(searcher):
    for question in ("Ủy ban nhân dân các cấp đối thoại với Nhân dân mấy lần",
                     "Chào anh, cho hỏi Ủy ban nhân dân các cấp đối thoại với Nhân dân mấy lần",
                     "CT 33 đối thoại trực tiếp với Nhân dân mấy lần"):  # "CT 33": an alias of the directive
        result = searcher.search(question)
        assert "ít nhất mỗi năm một lần" in result.hits[0].text and result.confident, question


def test_no_syllable_pair_across_a_dropped_word_or_punctuation():
    # "quyền gì khi" holds no pair "quyền khi" (as in "thẩm quyền khi"), and "HĐND, UBND" no pair across the comma.
    q = parse("cong dan co nhung quyen gi khi thuc hien dan chu")
    assert "quyen_khi" not in q.terms and "khi_thuc" in q.terms
    assert "hdnd_ubnd" not in parse("trụ sở HĐND, UBND xã").terms


def test_short_number_finds_document_first(searcher):
    for question in ["chi thi 33 la gi", "CT 33", "Chỉ thị số 33/CT-TTg"]:
        assert searcher.search(question).hits[0].doc == "ct-33", question


def test_same_number_two_years(searcher):
    both = {h.doc for h in searcher.search("CT 16", k=2).hits}
    assert both == {"ct-16-2016", "ct-16-2020"}
    assert searcher.search("chỉ thị 16 năm 2020").hits[0].doc == "ct-16-2020"
    assert searcher.search("chỉ thị 16 năm 2016").hits[0].doc == "ct-16-2016"
    assert [d.id for d in searcher.find_documents("16/CT-TTg")] == ["ct-16-2020", "ct-16-2016"]


def test_accents_optional_and_abbreviations_expand(searcher):
    accented = searcher.search("Ban Thanh tra nhân dân ở phường có bao nhiêu thành viên")
    plain = searcher.search("ban thanh tra nhan dan o phuong co bao nhieu thanh vien")
    abbr = searcher.search("BTTND ở phường có bao nhiêu thành viên")
    typed_on_a_phone = searcher.search("bttnd o phuong co bao nhieu thanh vien")
    for result in (accented, plain, abbr, typed_on_a_phone):
        assert "từ 05 đến 09 thành viên" in result.hits[0].text
        assert result.confident
    assert parse("UBND xã", Abbreviations({"UBND": ["Ủy ban nhân dân"]})).expansions == {"ubnd": ["Ủy ban nhân dân"]}
    table = Abbreviations({"UBND": ["Ủy ban nhân dân"], "TU": ["Tỉnh ủy"], "TW": ["Trung ương"]})
    assert parse("ubnd va tw", table).expansions == {"ubnd": ["Ủy ban nhân dân"], "tw": ["Trung ương"]}
    assert parse("tu van cho dan", table).expansions == {}  # "tu" is a word (từ, tư, tự): only TU expands
    assert parse("Nghị quyết của TU", table).expansions == {"tu": ["Tỉnh ủy"]}
    staff = Abbreviations({"CBCCVC": ["cán bộ, công chức, viên chức"], "NLĐ": ["người lao động"], "KT-XH": ["kinh tế"]})
    assert parse("Hội nghị CBCCVC-NLĐ", staff).expansions == {"cbccvc": ["cán bộ, công chức, viên chức"],
                                                             "nld": ["người lao động"]}
    assert parse("phát triển KT-XH", staff).expansions == {"kt-xh": ["kinh tế"]}


def test_near_duplicates_collapse(searcher):
    hits = searcher.search("Ban Thanh tra nhân dân ở phường thành viên", k=5).hits
    texts = [h.text for h in hits]
    assert sum("từ 05 đến 09 thành viên" in t for t in texts) == 1


def test_the_same_text_cut_at_other_places_in_another_document_collapses(knowledge, tmp_path):
    """A codification repeats a law's article with a source note and cuts its passages elsewhere: word sets too
    far apart for the Jaccard rule, but most of one passage's words are in the other."""
    (knowledge / "phap-dien.md").write_text(
        "---\ntitle: Đề mục Thử nghiệm\ntype: Pháp điển\n---\n\nĐiều 9.1.LQ.2. Ban Thanh tra nhân dân\n\n"
        "(Điều 2 Luật số 99/2030/QH99, có hiệu lực thi hành kể từ ngày 01/07/2030)\n\n"
        "1. Ban Thanh tra nhân dân ở phường do hội nghị cử tri bầu ra, gồm từ 05 đến 09 thành viên.\n\n"
        "2. Nhiệm kỳ của Ban Thanh tra nhân dân là 05 năm.\n\n"
        "3. Trưởng ban được các thành viên bầu trong số mình; Ban họp thường kỳ mỗi quý một lần.\n",
        encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    hits = Searcher(tmp_path / "index.db").search("Ban Thanh tra nhân dân ở phường gồm bao nhiêu thành viên").hits
    assert sum("từ 05 đến 09 thành viên" in h.text for h in hits) == 1
    # cut elsewhere, two passages share only their first khoản word for word (fewer than 80 % of their words):
    # the same text still
    first = ("1. Tổ hòa giải ở thôn có từ 03 thành viên trở lên, trong đó có tổ trưởng do các hòa giải viên bầu ra "
             "tại cuộc họp của tổ.\n\n")
    (knowledge / "luat-hoa-giai.md").write_text(
        "Điều 12. Tổ hòa giải\n\n" + first + "2. Kinh phí hoạt động của tổ do ngân sách xã bảo đảm hằng năm theo dự "
        "toán.\n", encoding="utf-8")
    (knowledge / "pd-hoa-giai.md").write_text(
        "---\ntype: Pháp điển\n---\n\nĐiều 5.2.LQ.12. Tổ hòa giải\n\n(Điều 12 Luật số 98/2030/QH99, có hiệu lực thi "
        "hành kể từ ngày 01/07/2030)\n\n" + first + "3. Hòa giải viên được khen thưởng khi có thành tích xuất sắc "
        "trong công tác.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    hits = Searcher(tmp_path / "index.db").search("Tổ hòa giải ở thôn có bao nhiêu thành viên").hits
    assert sum("từ 03 thành viên trở lên" in h.text for h in hits) == 1


def test_unrelated_question_is_not_confident(searcher):
    result = searcher.search("giá vé máy bay Hà Nội đi Đà Nẵng dịp Tết")
    assert not result.confident


def test_snippet_marks_question_words():
    text = ("Câu mở đầu không liên quan. Ban Thanh tra nhân dân gồm từ 05 đến 09 thành viên. "
            "Nhiệm kỳ là 05 năm. Câu cuối cùng.")
    snip, marks = snippet(text, parse("ban thanh tra nhan dan gom may thanh vien").terms)
    assert snip.startswith("… Ban Thanh tra nhân dân gồm")
    marked = [snip[a:b] for a, b in marks]
    assert {"Ban", "Thanh", "tra", "nhân", "dân", "thành", "viên"} <= set(marked)


def test_an_article_asked_for_by_number_comes_first(searcher):
    """"Điều 3 Luật 99 quy định gì": the article itself, not passages that mention its words, and it answers."""
    for question in ("Điều 3 Luật 99/2030 quy định gì", "dieu 3 luat 99 noi gi", "điều 3 của luật thử nghiệm"):
        result = searcher.search(question)
        assert result.hits[0].heading.endswith("Điều 3. Hiệu lực thi hành") and result.confident, question
    assert not searcher.search("Điều 3 Nghị định 77/2031 quy định gì").confident  # a decree the index lacks
    assert searcher.search("Điều 3 Luật 99/2030", allowed_docs=set()).hits == []  # no candidates, no error


def test_a_passage_citing_a_document_the_bot_lacks_shows_where_it_cites_it(knowledge, tmp_path):
    """"CT 45 là gì" asks for a document's scope; with no such document, the snippet of a passage that cites it
    is its best sentences, not its opening."""
    (knowledge / "tin-hoi-nghi.md").write_text(
        "Hội nghị tổng kết công tác năm của huyện diễn ra sáng nay với sự tham dự của đông đảo đại biểu các "
        "ngành, đoàn thể, các xã, thị trấn và nhiều cán bộ hưu trí, cùng các phóng viên báo đài địa phương. "
        "Các đại biểu đã nghe báo cáo chung và thảo luận sôi nổi về phương hướng năm tới của toàn huyện. "
        "Nhiều ý kiến đề xuất tiếp tục đẩy mạnh các phong trào thi đua yêu nước ở cơ sở. "
        "Huyện tiếp tục thực hiện Chỉ thị số 45/CT-TW về công tác dân vận trong tình hình mới.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    hit = Searcher(tmp_path / "index.db").search("chỉ thị 45 là gì").hits[0]
    assert hit.doc == "tin-hoi-nghi" and "45/CT-TW" in hit.snippet
    # it tells what there is about the directive, however the question is worded
    assert Searcher(tmp_path / "index.db").search("Chỉ thị 45/CT-TW năm 2031 nói về nội dung gì").confident


def test_marks_follow_the_accents_typed(knowledge, tmp_path):
    (knowledge / "ban.md").write_text("Điều 4. Phối hợp\n\nỦy ban nhân dân cấp xã bàn với Ban Thanh tra nhân dân về "
                                      "việc giám sát và hoà giải.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher = Searcher(tmp_path / "index.db", Abbreviations({"UBND": ["Ủy ban nhân dân"]}))

    def marked(question):
        hit = next(h for h in searcher.search(question).hits if h.doc == "ban")
        return [hit.snippet[a:b] for a, b in hit.marks]

    assert "Ban" in marked("Ủy ban xã phối hợp với Ban Thanh tra thế nào") and "bàn" not in marked(
        "Ủy ban xã phối hợp với Ban Thanh tra thế nào")  # typed with accents: "ban" is not "bàn"
    assert "bàn" in marked("uy ban xa phoi hop voi ban thanh tra the nao")  # typed without any: either
    assert "hoà" in marked("Ủy ban xã hòa giải gì")  # the same word, its tone mark placed another way
    assert not {"ban", "Ban"} & set(marked("Xã bàn việc giám sát với ai"))  # "bàn" typed marks no "ban"…
    assert {"giám", "sát"} <= set(marked("Ủy ban xã giam sat việc gì"))  # …typed without accents, any accents
    assert {"Ủy", "ban"} <= set(marked("UBND xã giám sát gì"))  # an abbreviation's expansion, as written there


def test_a_snippet_is_chosen_by_what_is_asked_not_by_the_words_that_name_the_document():
    text = ("Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2031. Pháp lệnh về thực hiện dân chủ ở xã, phường "
            "hết hiệu lực kể từ ngày Luật này có hiệu lực thi hành.")
    question = parse("Luật Thực hiện dân chủ ở cơ sở có hiệu lực từ khi nào").terms
    title = frozenset(parse("Luật Thực hiện dân chủ ở cơ sở").terms)
    assert snippet(text, question, max_chars=90)[0].startswith("… Pháp lệnh")  # the title's words tip it
    chosen, marks = snippet(text, question, max_chars=90, weak=title)
    assert chosen.startswith("Luật này có hiệu lực thi hành từ ngày 01 tháng 7 năm 2031.")
    assert "Luật" in [chosen[a:b] for a, b in marks]  # still marked
    assert snippet(text, parse("Luật Thực hiện dân chủ").terms, max_chars=90, weak=title)[0].startswith("… Pháp")


def test_a_snippet_holds_the_sentence_that_shows_what_is_asked():
    """"họp mấy lần một năm" asks for a count of times: the sentence that has one is shown, not its neighbour with
    more of the question's words."""
    text = ("Hội nghị người lao động do ban lãnh đạo doanh nghiệp nhà nước và Công đoàn doanh nghiệp phối hợp tổ "
            "chức hằng năm theo kế hoạch của doanh nghiệp nhà nước. Hội nghị được tổ chức định kỳ mỗi năm một lần "
            "sau khi kết thúc năm tài chính.")
    question = parse("doanh nghiệp nhà nước tổ chức hội nghị người lao động mấy lần một năm")
    assert question.wants == ("count:lan",)
    assert "định kỳ" not in snippet(text, question.terms, max_chars=200)[0]
    assert "định kỳ mỗi năm một lần" in snippet(text, question.terms, max_chars=200, forms=question.wants)[0]


def test_json_shape(searcher):
    data = searcher.search("Luật 99/2030/QH99 hiệu lực", k=2).to_json()
    assert set(data) == {"query", "hits", "confident"}
    assert {"doc", "title", "number", "issued", "heading", "text", "score"} <= set(data["hits"][0])
    assert data["hits"][0]["number"] == "99/2030/QH99"


def test_one_letter_slip_is_corrected(searcher):
    result = searcher.search("ban thanh tra nhan dna o phuong co bao nhieu thanh vien")
    assert "từ 05 đến 09 thành viên" in result.hits[0].text
    assert result.confident


def test_a_slip_is_read_as_the_spelling_its_neighbours_go_with(knowledge, tmp_path):
    """"thônn" is one letter from "thôn" and from the more frequent "thông"; beside "trưởng" it is "thôn", and a
    passage about the Trưởng thôn answers (the spelling stands for the typed word)."""
    (knowledge / "thong-tin.md").write_text(
        "Điều 1. Thông tin\n\nThông tin, thông báo, thông tư và thông lệ được thông qua và thông suốt.\n\n"
        "Điều 2. Trưởng thôn\n\nTrưởng thôn do cộng đồng dân cư bầu tại cuộc họp của thôn.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher = Searcher(tmp_path / "index.db")
    q = parse("trưởng thônn do ai bầu")
    searcher.correct(q)
    assert q.corrections == {"thonn": "thon"} and "truong_thon" in q.terms
    result = searcher.search("trưởng thônn do ai bầu")
    assert result.hits[0].heading == "Điều 2. Trưởng thôn" and result.confident
    # an everyday phrase is answered by the documents' wording for it
    from indexer.query import Synonyms

    plain = Searcher(tmp_path / "index.db", synonyms=Synonyms({}))
    assert not plain.search("trưởng xóm do ai bầu").confident  # "xóm": no document has it
    everyday = Searcher(tmp_path / "index.db", synonyms=Synonyms({"trưởng xóm": ["Trưởng thôn"],
                                                                  "đám ma": ["việc tang"]}))
    result = everyday.search("trưởng xóm do ai bầu")
    assert result.hits[0].heading == "Điều 2. Trưởng thôn" and result.confident
    # ... as written: "việc tăng" is not "việc tang"
    (knowledge / "tang-cuong.md").write_text(
        "Điều 3. Phối hợp\n\nViệc tăng cường phối hợp giữa thôn và xã được thực hiện hằng năm. Nếu Phó Chủ tịch xã "
        "vắng thì Chủ tịch xã chủ trì.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    everyday = Searcher(tmp_path / "index.db", synonyms=Synonyms({"đám ma": ["việc tang"]}))
    assert not everyday.search("đám ma có phải báo xã không").confident
    # a word the documents lack, typed with accents, is no misspelling of one they have: "nấu" is not "nếu" (as in
    # "Nếu Phó Chủ tịch"), nor a mistyped "nào"
    assert not everyday.search("nấu phở").confident


def test_word_unknown_to_every_document_lowers_confidence(searcher):
    assert not searcher.search("Ban Thanh tra nhân dân đăng nhập VNeID thế nào").confident


@pytest.mark.parametrize("question", ["giá vàng hôm nay", "cách nấu phở bò", "bóng đá việt nam",
                                      "thời tiết Hà Nội ngày mai", "lịch thi đấu world cup"])
def test_off_topic_questions_are_not_confident(searcher, question):
    assert not searcher.search(question).confident


def test_single_document_index_still_answers(tmp_path):
    root = tmp_path / "k"
    root.mkdir()
    (root / "mot.md").write_text("Hương ước của thôn được hội nghị thôn thông qua.", encoding="utf-8")
    build(root, tmp_path / "i.db")
    assert Searcher(tmp_path / "i.db").search("hương ước").hits[0].doc == "mot"


@pytest.mark.parametrize(("question", "kind"), [
    ("Mức phụ cấp của Tổ trưởng tổ dân phố là bao nhiêu tiền?", "money"),
    ("can tro hoi nghi bi phat tien bao nhieu", "money"),
    ("Lương của cán bộ ở mức nào?", "money"),
    ("Ứng cử Tổ trưởng phải bao nhiêu tuổi?", "age"),
    ("Ban Thanh tra nhân dân có bao nhiêu thành viên?", "count:thanh"),
    ("Ban kiểm phiếu gồm mấy người?", "count:nguoi"),
    ("ban kiem phieu gom may nguoi", "count:nguoi"),
    ("Bộ máy của Ban gồm những vụ nào?", None),  # "máy" is not "mấy"
    ("Điểm bao nhiêu thì được xếp loại giỏi?", None),  # "thì" is not counted
    ("Tỷ lệ tập hợp quần chúng là bao nhiêu?", None),
    ("Tiền hoạt động của Ban lấy từ nguồn nào?", None),
    ("Phải niêm yết tối thiểu bao lâu?", "duration"),
    ("thong tin phai phat it nhat may ngay", "duration"),
    ("Học viên phải dự bao nhiêu phần trăm số tiết?", "share"),
    ("Nghị định 59 có hiệu lực từ ngày nào?", "date"),
    ("Hội nghị thôn họp mấy lần một năm và vào dịp nào?", ("date", "count:lan")),  # two forms asked
])
def test_questions_that_ask_for_an_answer_of_some_form(question, kind):
    from indexer.query import asks_for

    assert asks_for(question) == (kind if isinstance(kind, tuple) else (kind,) if kind else ())


def test_answer_without_the_asked_form_is_not_confident(knowledge, tmp_path):
    """A question for an amount of money is answered confidently only by a passage that shows one, even when
    the passage holds every word of the question."""
    rule = knowledge / "phu-cap.md"
    rule.write_text("# Phụ cấp\n\nThành viên Ban Thanh tra nhân dân ở phường được hưởng phụ cấp hằng tháng; tiền "
                    "phụ cấp do ngân sách phường bảo đảm.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher = Searcher(tmp_path / "index.db")
    question = "Ban Thanh tra nhân dân ở phường được phụ cấp bao nhiêu tiền mỗi tháng?"
    result = searcher.search(question)
    assert "tiền phụ cấp" in result.hits[0].text and not result.confident
    assert searcher.search("Ai bảo đảm tiền phụ cấp của Ban Thanh tra nhân dân ở phường?").confident
    rule.write_text("# Phụ cấp\n\nThành viên Ban Thanh tra nhân dân ở phường được hưởng phụ cấp 500.000 đồng mỗi "
                    "tháng; tiền phụ cấp do ngân sách phường bảo đảm.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher.reload()
    result = searcher.search(question)
    assert "500.000 đồng" in result.hits[0].text and result.confident


DECREE = """---
title: Nghị định về phòng trào tự quản ở khu dân cư (mẫu kiểm thử)
number: 77/2031/NĐ-CP
type: Nghị định
issued: '2031-03-01'
---

Điều 1. Phạm vi điều chỉnh

Nghị định này hướng dẫn việc thành lập và hoạt động của tổ tự quản, tổ hòa giải và cuộc họp định kỳ của
khu dân cư.

Điều 2. Tổ tự quản

Tổ tự quản thực hiện theo quy định của Nghị định này, quy định của Ủy ban nhân dân cấp xã và quy định của
hương ước, quy ước; mức chi theo quy định của Hội đồng nhân dân cấp tỉnh.
"""


def test_asking_what_a_named_document_is_about_shows_its_scope(knowledge, tmp_path):
    (knowledge / "nd-77.md").write_text(DECREE, encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher = Searcher(tmp_path / "index.db", Abbreviations({}))
    for question in ["nđ 77 quy định gì", "Nghị định số 77/2031/NĐ-CP có những nội dung chính nào?", "NĐ 77"]:
        assert parse(question).about, question
        result = searcher.search(question)
        assert result.hits[0].heading == "Điều 1. Phạm vi điều chỉnh" and result.confident, question
        assert result.hits[0].snippet.startswith("Nghị định này hướng dẫn"), question  # read from its start
    from indexer.search import _scope_rank

    rows = [(1, "x", "Chỉ thị 33", "…", 0), (2, "x", "Tóm tắt nội dung", "…", 1), (3, "x", "Điều 1. Ban hành", "…", 2)]
    assert min(rows, key=_scope_rank)[0] == 2  # a fact card's summary
    assert min(rows[::2], key=_scope_rank)[0] == 3  # else Điều 1
    assert not parse("NĐ 77 quy định mức chi của tổ tự quản thế nào").about  # a question about its content
    assert not parse("quy định gì về tổ tự quản").about  # names no document
    hidden = searcher.search("nđ 77 quy định gì", allowed_docs={"ct-33"})
    assert all(h.doc != "nd-77" for h in hidden.hits)


def test_everyday_words_find_the_documents_wording(knowledge, tmp_path):
    from indexer.query import Synonyms

    table = Synonyms({"lệ làng": ["hương ước", "quy ước"], "đám cưới": ["việc cưới"], "gộp": ["nhập"],
                      "xóm": ["thôn"]})
    assert table.expand("Lệ làng có quy định chuyện đám cưới không?") == ["hương ước", "quy ước", "việc cưới"]
    assert table.expand("le lang co quy dinh dam cuoi khong") == ["hương ước", "quy ước", "việc cưới"]
    assert table.expand("gop y cho xom") == []  # one word counts only as typed with its accents
    assert table.expand("gộp hai xóm") == ["nhập", "thôn"]
    mountain = Synonyms({"trưởng bản": ["Trưởng thôn"]})  # typed with other accents it is another phrase
    assert mountain.expand("Trưởng ban công tác Mặt trận") == [] and mountain.expand("trưởng bản") == ["Trưởng thôn"]
    (knowledge / "huong-uoc.md").write_text(
        "Điều 5. Nội dung hương ước, quy ước\n\nHương ước, quy ước có thể quy định về việc tang phù hợp với thuần "
        "phong mỹ tục của cộng đồng dân cư.\n", encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    question = "Lệ làng cấm đám ma không?"
    plain = Searcher(tmp_path / "index.db", Abbreviations({}), Synonyms({})).search(question)
    assert not plain.hits or plain.hits[0].doc != "huong-uoc"
    found = Searcher(tmp_path / "index.db", Abbreviations({}), Synonyms({**table.table, "đám ma": ["việc tang"]}))
    found = found.search(question)
    assert found.hits[0].doc == "huong-uoc"
    assert not found.confident  # "cấm" is a word no document knows


def test_shipped_tables_load():
    from indexer.query import Synonyms

    shipped_abbreviations = Abbreviations.load()
    assert len(shipped_abbreviations.table) > 50
    assert shipped_abbreviations.expand("UBND xã") == {"ubnd": ["Ủy ban nhân dân"]}
    shipped = Synonyms.load()
    assert len(shipped.table) > 30 and all(shipped.table.values())
    assert "hương ước" in shipped.expand("lệ làng")


def test_names_and_years_the_passage_cannot_answer_are_not_confident(searcher):
    """A report that never names the place typed with capitals, or the year, the question names answers another
    question; the same question about what it reports is confident."""
    assert searcher.search("Phường Hòa Bình có bao nhiêu mô hình dân vận khéo năm 2031?").confident
    assert searcher.search("Báo cáo 6 tháng đầu năm 2031 của phường Hòa Bình có bao nhiêu mô hình?").confident
    assert not searcher.search("Phường Tân An có bao nhiêu mô hình dân vận khéo năm 2031?").confident
    assert not searcher.search("Phường Hòa Bình có bao nhiêu mô hình dân vận khéo năm 2029?").confident
    # a law answers in any year and for any ward: the cadre's own year and ward are not what the law is about
    assert searcher.search("Năm 2031 Ban Thanh tra nhân dân ở phường gồm mấy thành viên?").confident
    assert searcher.search("Ban Thanh tra nhân dân ở phường Tân An gồm mấy thành viên?").confident
    assert names("Năm 2024 huyện Giao Thủy, tỉnh Nam Định") == ["giao_thuy", "nam_dinh"]  # not "Năm"


def test_a_mistyped_question_word_is_no_missing_word(searcher):
    assert searcher.search("Ban Thanh tra nhân dân ở phường có bao nhiu thành viên?").confident


def test_a_document_number_no_document_has_is_not_confident(searcher):
    """'NĐ 77/2030' is not in the index: whatever passage comes first does not answer about it."""
    question = "{} quy định Ban Thanh tra nhân dân ở phường gồm mấy thành viên?"
    assert not searcher.search(question.format("Nghị định 77/2030")).confident
    assert searcher.search(question.format("Luật 99/2030")).confident


def test_a_report_that_never_names_the_place_asked_about_is_no_answer(knowledge, tmp_path):
    """Another commune's report does not answer for Minh Hòa; a law answers for any ward it names."""
    (knowledge / "tin-minh-hoa.txt").write_text(
        "Xã Minh Hòa tổ chức hội nghị nhân dân đầu năm.\nHội nghị bàn việc làm đường giao thông nông thôn.\n",
        encoding="utf-8")
    build(knowledge, tmp_path / "index.db")
    searcher = Searcher(tmp_path / "index.db")
    assert searcher.search("Phường Hòa Bình có bao nhiêu mô hình dân vận khéo năm 2031?").confident
    assert searcher.search("Báo cáo 6 tháng đầu năm 2031 của phường Hòa Bình có bao nhiêu mô hình?").confident
    assert not searcher.search("Xã Minh Hòa có bao nhiêu mô hình dân vận khéo năm 2031?").confident
    assert searcher.search("Ban Thanh tra nhân dân ở phường Hòa Bình gồm mấy thành viên?").confident
