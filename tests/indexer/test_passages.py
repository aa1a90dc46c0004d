from indexer.documents import parse
from indexer.passages import MAX_CHARS, split
from tests.conftest import LAW, NEWS


def test_law_splits_by_article_with_heading_path():
    doc = parse(LAW.encode(), ".md", "luat")
    passages = split(doc.text)
    by_heading = {p.heading: p.text for p in passages}
    heading = "Chương I. NHỮNG QUY ĐỊNH CHUNG › Điều 2. Ban Thanh tra nhân dân"
    assert heading in by_heading
    assert "từ 05 đến 09 thành viên" in by_heading[heading]
    assert "Nhiệm kỳ của Ban Thanh tra nhân dân là 05 năm" in by_heading[heading]
    assert any(h.startswith("Chương II. TỔ CHỨC THỰC HIỆN › Điều 3.") for h in by_heading)
    assert [p.position for p in passages] == list(range(len(passages)))


def test_news_page_paragraphs_are_packed():
    doc = parse(NEWS.encode(), ".txt", "tin")
    passages = split(doc.text)
    assert len(passages) == 1
    assert "27 mô hình" in passages[0].text and "Chiều ngày 12/7" in passages[0].text


def test_long_paragraphs_split_at_sentences_within_limit():
    sentence = "Ủy ban nhân dân xã tổ chức đối thoại với Nhân dân về đất đai và môi trường. "
    text = "Điều 5. Đối thoại\n\n" + sentence * 40 + "\n\n" + "Khoản cuối cùng của điều này. " * 3
    passages = split(text)
    assert len(passages) > 2
    assert all(len(p.text) <= MAX_CHARS for p in passages)
    assert all(p.heading == "Điều 5. Đối thoại" for p in passages)
    assert all(p.text.endswith(".") for p in passages)


def test_numbered_tasks_stay_whole():
    tasks = "\n".join(f"({i}) Nhiệm vụ thứ {i}: tăng cường công tác dân vận chính quyền ở cơ sở." for i in range(1, 6))
    passages = split("II. NHIỆM VỤ, GIẢI PHÁP\n" + tasks)
    assert passages[0].heading == "II. NHIỆM VỤ, GIẢI PHÁP"
    assert "(1) Nhiệm vụ thứ 1" in passages[0].text and "(5) Nhiệm vụ thứ 5" in passages[0].text


def test_tiny_fragment_joins_next_passage():
    passages = split("Mục 1\n\nGhi chú: xem phụ lục\n\nĐiều 9. Họp thôn\n\n" + "Nội dung họp thôn được báo. " * 4)
    assert all(len(p.text) >= 40 for p in passages)
    assert "Ghi chú: xem phụ lục" in passages[0].text


def test_articles_without_body_keep_their_text():
    passages = split("Điều 1. Phạm vi\n\nĐiều 2. (Bãi bỏ)\n\nĐiều 3. Hiệu lực\n\n"
                     "Luật này có hiệu lực từ ngày ban hành và áp dụng cho mọi thôn, tổ dân phố trong cả nước.")
    joined = "\n".join(p.text for p in passages)
    assert "Điều 2. (Bãi bỏ)" in joined and "áp dụng cho mọi thôn" in joined
    assert split("Điều 9. Chỉ có tiêu đề")[0].text == "Điều 9. Chỉ có tiêu đề"


def test_subsections_keep_the_section_above_them():
    body = "Nội dung của điều này đủ dài để thành một đoạn riêng, không ghép vào đoạn sau của văn bản luật."
    text = "\n".join([
        "Chương II", "THỰC HIỆN DÂN CHỦ Ở XÃ", "Mục 4", "NHÂN DÂN KIỂM TRA, GIÁM SÁT",
        "Tiểu mục 2", "BAN THANH TRA NHÂN DÂN", "Điều 36. Tổ chức Ban Thanh tra nhân dân", body,
        "Tiểu mục 3", "BAN GIÁM SÁT ĐẦU TƯ CỦA CỘNG ĐỒNG", "Điều 41. Tổ chức Ban Giám sát đầu tư", body,
    ])
    passages = split(text)
    assert [p.heading for p in passages] == [
        "Chương II. THỰC HIỆN DÂN CHỦ Ở XÃ › Mục 4. NHÂN DÂN KIỂM TRA, GIÁM SÁT › Tiểu mục 2. BAN THANH TRA NHÂN DÂN"
        " › Điều 36. Tổ chức Ban Thanh tra nhân dân",
        "Chương II. THỰC HIỆN DÂN CHỦ Ở XÃ › Mục 4. NHÂN DÂN KIỂM TRA, GIÁM SÁT › Tiểu mục 3. BAN GIÁM SÁT ĐẦU TƯ CỦA"
        " CỘNG ĐỒNG › Điều 41. Tổ chức Ban Giám sát đầu tư",
    ]
    assert all(p.text == body for p in passages)  # no "Tiểu mục 3" fragment carried into the text


def test_a_passage_opening_on_a_point_carries_its_clause_lead_in():
    points = "\n".join(f"{c}) Hướng dẫn nhiệm vụ thứ {c} của bộ về lĩnh vực này, " + "chi tiết " * 25 for c in "abcdef")
    text = ("Điều 2. Nhiệm vụ và quyền hạn\n17. Về lĩnh vực thanh niên: hướng dẫn chung.\n"
            f"18. Về thực hiện công tác dân chủ, dân vận:\n{points}\n19. Về lĩnh vực bình đẳng giới.")
    first, second = split(text)
    assert [line[:3] for line in first.text.split("\n")] == ["17.", "18.", "a) ", "b) ", "c) "]
    # the khoản opened in the first passage goes on in the second, which opens with its lead-in
    assert [line[:3] for line in second.text.split("\n")] == ["18.", "d) ", "e) ", "f) ", "19."]
    assert second.text.startswith("18. Về thực hiện công tác dân chủ, dân vận:\n")


def test_a_markdown_heading_that_is_an_article_is_an_article():
    """"#### Điều 3. …" is an article like "Điều 4. …" after it, not a section holding it."""
    text = ("## Chương I\n\n#### Điều 3. Cơ cấu tổ chức\n\nBộ có các vụ, văn phòng, thanh tra và các cục giúp Bộ "
            "trưởng thực hiện chức năng quản lý nhà nước.\n\nĐiều 4. Hiệu lực thi hành\n\nNghị định này có hiệu "
            "lực thi hành từ ngày ký ban hành và thay thế các văn bản trước đây.\n")
    headings = [p.heading for p in split(text)]
    assert headings == ["Chương I › Điều 3. Cơ cấu tổ chức", "Chương I › Điều 4. Hiệu lực thi hành"]
