from dataclasses import dataclass

from indexer.rerank import accented_words, formality_share, preamble_share, rerank, sentence_cover


@dataclass
class H:
    text: str
    heading: str = ""
    title: str = ""
    score: float = 10.0


IDF = {"ban": 1.0, "thanh": 1.0, "tra": 1.0, "bau": 2.0, "quyen": 2.0, "nghia": 2.0, "vu": 1.0}


def idf(t):
    return IDF.get(t, 0.0)


def test_sentence_cover_finds_the_two_sentences_that_hold_the_words():
    w = {"ban": 1.0, "bau": 1.0}
    assert sentence_cover("Ban ở đây. Không liên quan. Việc bầu cử.", w, 2.0) == 0.5
    assert sentence_cover("Không liên quan. Ban ở đây. Việc bầu cử.", w, 2.0) == 1.0


def test_words_close_together_beat_the_same_words_scattered():
    scattered = H("Ban ở đây. Câu một. Câu hai. Câu ba. Thanh tra nhân dân. Câu bốn. Được bầu.")
    together = H("Câu một. Ban Thanh tra nhân dân được bầu. Câu hai. Câu ba. Câu bốn. Câu năm.")
    out = rerank([scattered, together], "ban thanh tra do ai bau", ["ban", "thanh", "tra", "bau"], idf)
    assert out == [together, scattered]
    assert out[0].score >= out[1].score


def test_heading_naming_the_topic_lifts_the_passage():
    duties = H("1. Tuân thủ pháp luật về dân chủ của công dân.", heading="Chương I › Điều 6. Nghĩa vụ của công dân")
    rights = H("1. Được công khai thông tin của công dân.", heading="Chương I › Điều 5. Quyền của công dân")
    out = rerank([duties, rights], "cong dan co quyen gi", ["quyen"], idf)
    assert out[0] is rights


def test_accents_typed_in_the_question_prefer_the_same_accents():
    other = H("Ban thanh tra bạn")
    same = H("Ban thanh tra bàn")
    assert accented_words("Ban thanh tra bàn việc gì?") == {"bàn", "việc"}
    assert rerank([other, same], "Ban thanh tra bàn việc gì?", ["ban"], idf)[0] is same
    # Without accents in the question, nothing is preferred: the BM25 order stays.
    assert accented_words("ban thanh tra ban viec gi") == set()
    other, same = H("Ban thanh tra bạn"), H("Ban thanh tra bàn")
    assert rerank([other, same], "ban thanh tra ban viec gi", ["ban"], idf)[0] is other
    # Documents keep their own spelling ("hoà giải"); a question typed "hòa giải" still agrees with it.
    other, same = H("Tổ hóa giải"), H("Tổ hoà giải")
    assert rerank([other, same], "Tổ hòa giải làm gì?", ["ban"], idf)[0] is same


def test_big_bm25_gaps_are_not_overturned():
    strong = H("Nội dung khác hẳn.", score=30.0)
    weak = H("Ban Thanh tra được bầu.", heading="Ban Thanh tra", score=10.0)
    assert rerank([strong, weak], "ban thanh tra bau", ["ban", "thanh", "tra", "bau"], idf)[0] is strong


def test_passage_holding_the_asked_form_moves_up():
    """A question for a length of time (a date, a share…) lifts the close candidate that holds one."""
    from indexer.query import asks_for

    vague = H("Ban Thanh tra nhân dân được bầu và hoạt động theo quy chế.", score=10.0)
    timed = H("Ban Thanh tra nhân dân được bầu, nhiệm kỳ 05 năm.", score=9.8)
    question = "ban thanh tra nhan dan duoc bau bao lau mot lan"
    assert asks_for(question) == ("duration",)
    unigrams = ["ban", "thanh", "tra", "bau"]
    assert rerank([H(vague.text), H(timed.text, score=9.8)], question, unigrams, idf)[0].text == vague.text  # no form
    out = rerank([vague, timed], question, unigrams, idf, asks_for(question))
    assert out[0] is timed


def test_passage_holding_a_count_of_the_asked_word_moves_up():
    """"mấy phiếu", "bao nhiêu hộ": a close candidate with a number before that word (or before "tổng số" + it)
    moves up; a number before another word does not count."""
    from indexer.query import asks_for, shows_form

    question = "Thôn lấy ý kiến bằng phiếu thì mỗi nhà được nhận mấy phiếu?"
    form = asks_for(question)
    assert form == ("count:phieu",)
    vague = H("Ủy ban phát phiếu lấy ý kiến của hộ gia đình trong 02 ngày.", score=10.0)
    counted = H("Mỗi hộ gia đình được phát 01 phiếu lấy ý kiến.", score=9.8)
    unigrams = ["bau"]  # (neither passage holds it: only the count tells them apart)
    assert rerank([H(vague.text), H(counted.text, score=9.8)], question, unigrams, idf)[0].text == vague.text
    assert rerank([vague, counted], question, unigrams, idf, form)[0] is counted
    vague.score, counted.score = 10.0, 9.8
    assert rerank([vague, counted], question, unigrams, idf, ("date", *form))[0] is counted  # either form counts
    assert shows_form("count:ho", "khi có ít nhất 50% tổng số hộ gia đình đồng ý")
    assert shows_form("count:lan", "được tổ chức định kỳ mỗi năm một lần")
    assert not shows_form("count:ho", "Hộ gia đình có 3 người.")


def test_a_blank_form_yields_to_a_passage_that_answers_unless_a_form_is_asked_for():
    def hits():
        form = H("1. Tổng số buổi học: ............................\n2. Số học viên: ............................\n"
                 "3. Học viên làm bài: ............................", score=10.5)
        return [form, H("Học viên có bài dưới 5 điểm được làm lại bài trong 03 ngày.", score=10.0)]

    words = ["hoc", "vien", "bai"]
    assert rerank(hits(), "hoc vien duoi 5 diem co duoc lam bai lai", words, lambda t: 1.0)[0].text.startswith("Học")
    assert rerank(hits(), "mẫu tổng hợp học viên làm bài", words, lambda t: 1.0)[0].text.startswith("1. Tổng")


def test_a_preamble_of_legal_bases_yields_to_a_passage_that_answers_unless_the_bases_are_asked_for():
    def hits():
        preamble = H("Căn cứ Luật Tổ chức Chính phủ ngày 18 tháng 02 năm 2025; Căn cứ Nghị định số 25/2025/NĐ-CP về "
                     "chức năng, nhiệm vụ của Bộ Nội vụ; Theo đề nghị của Bộ trưởng Bộ Nội vụ;", score=10.5)
        return [preamble, H("Bộ Nội vụ có nhiệm vụ hướng dẫn công tác dân vận của cơ quan nhà nước.", score=10.0)]

    words = ["bo", "noi", "vu", "nhiem"]
    assert rerank(hits(), "bo noi vu co nhiem vu gi", words, lambda t: 1.0)[0].text.startswith("Bộ Nội vụ")
    assert rerank(hits(), "căn cứ ban hành quy định nhiệm vụ Bộ Nội vụ", words, lambda t: 1.0)[0].text.startswith("Căn")
    rule = H("Căn cứ từng trường hợp, Trưởng thôn phát phiếu lấy ý kiến.")  # a rule that opens with "căn cứ"
    assert preamble_share(rule.text) == 0.0 and preamble_share(hits()[0].text) > 0.9
    # an enacting article only echoes the title of what it enacts
    assert preamble_share("Điều 1. Ban hành kèm theo Quyết định này Quy chế bồi dưỡng, giảng dạy.") == 1.0
    assert preamble_share("Điều 1. Ban hành kèm theo Quyết định này Quy chế.\nĐiều 2. Quy chế gồm 5 chương.") == 0.0


def test_a_letterhead_or_signature_block_yields_to_a_passage_that_answers_unless_a_date_or_signer_is_asked():
    letterhead = ("ỦY BAN NHÂN DÂN HUYỆN AN HÒA CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM Độc lập - Tự do - Hạnh phúc\n"
                  "Số: 15/QĐ-UBND An Hòa, ngày 03 tháng 4 năm 2025")
    signature = ("Nơi nhận:\n- Như Điều 3;\n- Thường trực Huyện ủy;\n- Lưu: VT.\n"
                 "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH Lê Văn An\n"
                 "(Kèm theo Quyết định số 15/QĐ-UBND ngày 03 tháng 4 năm 2025 của Ủy ban nhân dân huyện An Hòa)")
    rule = "Xã đạt từ 90 điểm trở lên được xếp loại hoàn thành xuất sắc công tác dân vận."
    assert formality_share(letterhead) > 0.9 and formality_share(signature) > 0.9 and formality_share(rule) == 0.0

    def hits():
        return [H(letterhead, score=10.6), H(signature, score=10.5), H(rule, score=10.0)]

    words = ["quyet", "dinh", "15", "xep", "loai"]
    assert rerank(hits(), "QĐ 15 xếp loại xuất sắc cần bao nhiêu điểm", words, lambda t: 1.0)[0].text == rule
    assert rerank(hits(), "QĐ 15 ban hành ngày nào", words, lambda t: 1.0, ("date",))[0].text != rule
    assert rerank(hits(), "ai ký quyết định 15", words, lambda t: 1.0)[0].text != rule
    # the few words before a signature can be the answer; "- Lưu ý" is a note, not the filing line "- Lưu: VT"
    closing = H("Điều 2. Quyết định này có hiệu lực kể từ ngày ký.\n" + signature, score=10.5)
    question = "hiệu lực của QĐ 15"
    assert rerank([closing, H(rule, score=10.0)], question, ["hieu", "luc", "15"], lambda t: 1.0)[0] is closing
    assert formality_share("- Lưu ý: hai chỉ thị cùng số 16/CT-TTg, khác năm ban hành.") == 0.0
