import unicodedata

from indexer.analysis import fold, has_diacritics, normalize, raw_tokens, terms


def test_nfd_input_matches_nfc():
    text = "Đảng ủy xã Vĩnh Tiến tổ chức hội nghị"
    assert terms(unicodedata.normalize("NFD", text)) == terms(text)
    assert normalize(unicodedata.normalize("NFD", text)) == unicodedata.normalize("NFC", text)


def test_tone_mark_styles_match():
    for old, new in [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoà Bình", "Hòa Bình")]:
        assert normalize(old) == new
        assert terms(old) == terms(new)
    # "qu" + y keeps its tone on y, and a final consonant keeps the tone where it is.
    assert normalize("quý") == "quý"
    assert normalize("hoàn thành") == "hoàn thành"


def test_accent_free_question_meets_accented_text():
    assert fold("Chỉ thị 33 Dân vận khéo, Đảng ủy") == "chi thi 33 dan van kheo, dang uy"
    assert set(terms("chi thi 33 dan van kheo")) <= set(terms("Chỉ thị 33 Dân vận khéo"))
    assert has_diacritics("dân vận") and not has_diacritics("dan van")


def test_document_numbers_dates_and_percentages_stay_tokens():
    tokens = terms("Chỉ thị số 33/CT-TTg ngày 26/11/2021 đạt 80% năm 2023; Nghị định 59/2023/NĐ-CP")
    for token in ["33/ct-ttg", "26/11/2021", "80%", "2023", "59/2023/nd-cp"]:
        assert token in tokens
    # parts of a compound are searchable on their own too
    assert {"33", "ct", "ttg", "2021", "59"} <= set(tokens)


def test_bigrams_and_stopwords():
    tokens = terms("công tác của dân vận")
    assert "cong_tac" in tokens and "tac_cua" in tokens and "cua_dan" in tokens
    assert "cua" not in tokens  # stop-word dropped as a unigram, kept inside bigrams
    assert "dang" in terms("Đảng") and "co" in terms("cơ sở")  # folded collisions are not stop-words


def test_zero_width_and_raw_tokens():
    assert normalize("dân\u200b vận") == "dân vận"
    assert raw_tokens("Ủy ban MTTQ, 33/CT-TTg") == ["ủy", "ban", "mttq", "33/ct-ttg"]
