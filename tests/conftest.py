"""Shared fixtures: small knowledge folders the tests write themselves, and the optional shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_DOCS = SHARED / "corpus" / "docs"
DEV_SET = SHARED / "eval" / "dev.yaml"

LAW = """---
title: Luật Thử nghiệm về tổ dân phố
number: 99/2030/QH99
type: Luật
issuer: Quốc hội
issued: '2030-01-15'
source: https://example.org/luat-99
---

Chương I

NHỮNG QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh

Luật này quy định việc tổ chức hội nghị của tổ dân phố và việc bầu Tổ trưởng tổ dân phố.

Điều 2. Ban Thanh tra nhân dân

1. Ban Thanh tra nhân dân ở phường do hội nghị cử tri bầu ra, gồm từ 05 đến 09 thành viên.

2. Nhiệm kỳ của Ban Thanh tra nhân dân là 05 năm.

Chương II

TỔ CHỨC THỰC HIỆN

Điều 3. Hiệu lực thi hành

Luật này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2030.
"""

DIRECTIVE = """---
title: Chỉ thị về tăng cường công tác dân vận của chính quyền (mẫu kiểm thử)
number: 33/CT-TTg
type: Chỉ thị
issuer: Thủ tướng Chính phủ
issued: '2021-11-26'
aliases: ["CT 33", "Chỉ thị 33"]
---

Thủ tướng yêu cầu các bộ, ngành và địa phương đẩy mạnh phong trào thi đua "Dân vận khéo".

Ủy ban nhân dân các cấp tổ chức đối thoại trực tiếp với Nhân dân ít nhất mỗi năm một lần.
"""

NEWS = """Skip to main content
Lượt xem: 512

Phường Hòa Bình sơ kết công tác dân vận 6 tháng đầu năm 2031

Chiều ngày 12/7, Đảng ủy phường Hòa Bình tổ chức hội nghị sơ kết công tác dân vận 6 tháng đầu năm 2031.

Theo báo cáo, toàn phường có 27 mô hình "Dân vận khéo" được công nhận, tăng 5 mô hình so với cùng kỳ.

Bài viết mới nhất:
"""


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A small knowledge folder: a law, a directive card, and a news page without metadata."""
    root = tmp_path / "knowledge"
    (root / "luat").mkdir(parents=True)
    (root / "luat" / "luat-99.md").write_text(LAW, encoding="utf-8")
    (root / "ct-33.md").write_text(DIRECTIVE, encoding="utf-8")
    (root / "tin-hoa-binh.txt").write_text(NEWS, encoding="utf-8")
    return root


def shared_docs() -> Path:
    if not SHARED_DOCS.is_dir():
        pytest.skip("shared corpus (../shared/corpus/docs) not available")
    return SHARED_DOCS
