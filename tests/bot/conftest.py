"""Fixtures for the bot tests: a tiny knowledge folder written by the tests themselves, its index, a
conversation over it, and (end-to-end) the fake Bot API server with a real PTB Application polling it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.conversation import Conversation
from bot.querylog import QueryLog
from indexer.store import build
from indexer.visibility import PUBLIC, Label, Rules

from .fake_telegram import FakeTelegram

ADMIN = 42
OPEN = Rules(default=Label(PUBLIC))  # these tests' documents are public unless a test says otherwise
CT33 = """---
title: "Chỉ thị về tăng cường công tác dân vận của cơ quan hành chính nhà nước, chính quyền các cấp"
number: "33/CT-TTg"
type: "Chỉ thị"
issuer: "Thủ tướng Chính phủ"
issued: "2021-11-26"
source: "https://vanban.chinhphu.vn/?pageid=27160&docid=204594"
aliases: ["CT 33", "Chỉ thị 33"]
---

# Chỉ thị 33/CT-TTg về công tác dân vận chính quyền

Điều 1. Trách nhiệm của người đứng đầu

Người đứng đầu cơ quan hành chính nhà nước các cấp trực tiếp chịu trách nhiệm về công tác dân vận của cơ quan,
đơn vị mình. Người đứng đầu phải gương mẫu, gần dân, trọng dân, lắng nghe ý kiến nhân dân.

Điều 2. Tiếp công dân và đối thoại với nhân dân

Ủy ban nhân dân các cấp tổ chức tiếp công dân định kỳ, đối thoại trực tiếp với nhân dân và giải quyết kịp thời
khiếu nại, tố cáo, kiến nghị ngay từ cơ sở. Chỉ tiêu: tỷ lệ hài lòng <b>phải</b> đạt > 80% & không để đơn thư
kéo dài.

Điều 3. Cải cách hành chính

Đẩy mạnh cải cách thủ tục hành chính, công khai, minh bạch thông tin, chống quan liêu, sách nhiễu,
gây phiền hà cho người dân và doanh nghiệp khi giải quyết thủ tục hành chính.

Điều 4. Phong trào thi đua Dân vận khéo

Đẩy mạnh phong trào thi đua "Dân vận khéo", xây dựng và nhân rộng các mô hình, điển hình dân vận khéo trong
cơ quan hành chính nhà nước.

Điều 5. Tổ chức thực hiện

Các bộ, ngành và địa phương xây dựng kế hoạch thực hiện Chỉ thị, định kỳ sơ kết, tổng kết và báo cáo kết quả.
"""
PLAN = """---
title: "Kế hoạch thực hiện công tác dân vận chính quyền trên địa bàn xã Minh Hòa năm 2024"
number: "45/KH-UBND"
type: "Kế hoạch"
issuer: "Ủy ban nhân dân xã Minh Hòa"
issued: "2024-03-12"
source: "Văn bản mẫu tự soạn"
---

I. MỤC ĐÍCH, YÊU CẦU

Nâng cao nhận thức của cán bộ, công chức xã về công tác dân vận chính quyền; gắn công tác dân vận với nhiệm vụ
phát triển kinh tế - xã hội của xã.

II. NHIỆM VỤ

1. Tổ chức tiếp công dân vào thứ Năm hằng tuần tại trụ sở Ủy ban nhân dân xã; Chủ tịch Ủy ban nhân dân xã
đối thoại với nhân dân mỗi quý một lần.

2. Xây dựng mô hình "Dân vận khéo" về chuyển đổi số: hướng dẫn người dân nộp hồ sơ trực tuyến tại nhà văn hóa
thôn.

3. Phối hợp với Mặt trận Tổ quốc và các đoàn thể vận động nhân dân hiến đất làm đường giao thông nông thôn.
"""
LAW = """---
title: "Luật Thực hiện dân chủ ở cơ sở"
number: "10/2022/QH15"
type: "Luật"
issuer: "Quốc hội"
issued: "2022-11-10"
---

Điều 1. Phạm vi điều chỉnh

Luật này quy định nội dung công dân được biết, được bàn, được quyết định, được kiểm tra, giám sát ở cơ sở.

Điều 2. Hội nghị cộng đồng dân cư

Hội nghị cộng đồng dân cư do Trưởng thôn, Tổ trưởng tổ dân phố triệu tập để nhân dân bàn và quyết định
các công việc của cộng đồng như hương ước, quy ước, việc đóng góp xây dựng công trình công cộng.
"""


def write_knowledge(folder: Path, extra: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "van-ban").mkdir(exist_ok=True)
    (folder / "van-ban" / "ct-33-2021.md").write_text(CT33, encoding="utf-8")
    (folder / "van-ban" / "luat-10-2022.md").write_text(LAW, encoding="utf-8")
    (folder / "ke-hoach-xa.md").write_text(PLAN, encoding="utf-8")
    for name, text in (extra or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def knowledge(tmp_path) -> Path:
    return write_knowledge(tmp_path / "knowledge")


@pytest.fixture
def config(tmp_path, knowledge) -> Config:
    db = tmp_path / "data" / "index.db"
    build(knowledge, db, visibility=OPEN)
    return Config.for_paths(knowledge, db, admins=frozenset({ADMIN}), rate_limit=0, visibility=OPEN)


@pytest.fixture
def querylog(config):
    log = QueryLog(config.querylog)
    yield log
    log.close()


@pytest.fixture
def conv(config, querylog) -> Conversation:
    return Conversation(config, querylog, bot_username="danvan_test_bot")


# -- end to end
@pytest.fixture
async def telegram():
    """The fake Bot API server. At the end, nothing the bot sent may have been refused as Telegram would
    refuse it (tests that provoke refusals on purpose clear `rejected`)."""
    server = await FakeTelegram().start()
    yield server
    await server.stop()
    assert not server.rejected, server.rejected
