"""A knowledge folder with documents of every reach, the config that maps people and chats to rights, and
the strings that must never reach someone who may not see them. Shared by the visibility tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import load_config

from .conftest import ADMIN, write_knowledge

OUTSIDER = 1001  # anyone: public documents only
MEMBER = 2001  # config members.users: internal documents
BDV_USER = 3001  # audience bdv: internal documents and bdv's restricted ones
UBKT_USER = 3002  # audience ubkt
PUBLIC_GROUP = -100111  # any group: public only, whoever asks
MEMBER_GROUP = -100222  # members.chats
BDV_GROUP = -100333  # audiences.bdv.chats

# Internal by the default (no label of its own, outside the public folder).
INTERNAL_DEFAULT = """---
title: "Phương án nắm tình hình dư luận khu dân cư Bến Lội"
number: "88/PA-UBND"
issued: "2024-05-02"
---

I. TÌNH HÌNH

Khu dân cư Bến Lội còn 14 hộ chưa đồng thuận với phương án bồi thường giải phóng mặt bằng tuyến đê bao sông Mã.

II. BIỆN PHÁP

Tổ công tác dân vận đến từng hộ ở Bến Lội lắng nghe ý kiến, giải thích chính sách bồi thường và hỗ trợ tái
định cư; báo cáo kết quả về Thường trực Đảng ủy trước ngày 15 hằng tháng.
"""
# Internal by its front matter, although its folder is public (front matter wins over folders).
INTERNAL_FRONT_MATTER = """---
title: "Biên bản họp giao ban công tác dân vận quý II"
visibility: nội bộ
---

Giao ban thống nhất cử cán bộ vận động gia đình ông Lò Văn Pấng ở bản Nà Sành bàn giao mặt bằng làm nhà văn hóa
trước ngày 30 tháng 6; Mặt trận xã phối hợp với trưởng bản Nà Sành tổ chức họp dân.
"""
# Restricted to audience bdv by its front matter.
RESTRICTED_BDV = """---
title: "Đề án kiện toàn tổ chức bộ máy Ban Dân vận nhiệm kỳ mới"
number: "07-ĐA/BDV"
visibility: restricted
audience: [BDV]
---

Dự kiến điều động đồng chí Trưởng ban Dân vận xã Suối Ngang về Ban Dân vận huyện từ tháng 9; bổ sung hai
cán bộ chuyên trách cho khối dân vận chính quyền.
"""
# Restricted to audience ubkt by its folder's rule (no front matter).
RESTRICTED_UBKT = """Báo cáo kiểm tra dấu hiệu vi phạm trong quản lý quỹ vận động xây dựng nhà đại đoàn kết ở xã Tà Xùa.

Đoàn kiểm tra xác định khoản thu 120 triệu đồng chưa được công khai cho nhân dân Tà Xùa theo quy chế dân chủ.
"""

# Per hidden document: the question that finds it, and strings of its own that no question contains.
HIDDEN = {
    "ke-hoach-xa": ("tiếp công dân vào thứ Năm tại trụ sở", ["hằng tuần", "45/KH-UBND", "Minh Hòa"]),
    "ben-loi": ("Bến Lội còn bao nhiêu hộ chưa đồng thuận", ["88/PA-UBND", "đê bao", "Phương án nắm tình hình"]),
    "van-ban/bien-ban-quy-2": ("bản Nà Sành bàn giao mặt bằng", ["Lò Văn Pấng", "Biên bản họp giao ban"]),
    "ban-dan-van/de-an": ("Trưởng ban Dân vận xã Suối Ngang", ["07-ĐA/BDV", "Đề án kiện toàn", "điều động"]),
    "ubkt/tà-xùa": ("quỹ vận động nhà đại đoàn kết Tà Xùa", ["dấu hiệu vi phạm", "120 triệu"]),
}
INTERNAL = ("ke-hoach-xa", "ben-loi", "van-ban/bien-ban-quy-2")
RESTRICTED = {"ban-dan-van/de-an": "bdv", "ubkt/tà-xùa": "ubkt"}
PUBLIC_DOCS = ("van-ban/ct-33-2021", "van-ban/luat-10-2022")


def markers(doc_ids=None) -> list[str]:
    return [m for d, (_, ms) in HIDDEN.items() if doc_ids is None or d in doc_ids for m in ms]


def assert_no_leak(text: str, doc_ids=None) -> None:
    """None of the hidden documents' own strings (and titles) in text."""
    for marker in markers(doc_ids):
        assert marker not in text, f"leaked {marker!r}: {text[:400]}"


CONFIG = {
    "admins": [ADMIN],
    "rate_limit": 0,
    "visibility": {
        "default": "internal",
        "folders": {"van-ban": "public", "ubkt": {"visibility": "restricted", "audience": ["ubkt"]}},
    },
    "members": {"users": [MEMBER], "chats": [MEMBER_GROUP]},
    "audiences": {"bdv": {"users": [BDV_USER], "chats": [BDV_GROUP]}, "ubkt": [UBKT_USER]},
}


def write_world(root: Path, **overrides):
    """The knowledge folder, config file and index; returns the loaded Config."""
    knowledge = write_knowledge(root / "knowledge", {
        "ben-loi.md": INTERNAL_DEFAULT,
        "van-ban/bien-ban-quy-2.md": INTERNAL_FRONT_MATTER,
        "ban-dan-van/de-an.md": RESTRICTED_BDV,
        "ubkt/tà-xùa.txt": RESTRICTED_UBKT,
    })
    raw = {**CONFIG, "knowledge": str(knowledge), "db": str(root / "data" / "index.db"), **overrides}
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    config = load_config(path)
    from indexer.store import build

    build(config.knowledge, config.db, visibility=config.visibility)
    return config
