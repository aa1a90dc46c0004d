"""Every user-facing string of the bot, in Vietnamese.

Strings used with parse mode HTML are marked *_HTML; their {placeholders} must be filled with text that has
already been escaped (bot.formatting.esc). Plain strings (button labels, pop-up notices, command descriptions,
terminal notices) are never parsed as HTML.
"""

BOT_NAME = "Hỏi đáp Dân vận"

# -- commands (Telegram menu)
COMMANDS = [
    ("hoi", "Hỏi về công tác dân vận, ví dụ: /hoi trách nhiệm người đứng đầu"),
    ("vanban", "Xem văn bản theo số hiệu, ví dụ: /vanban 33/CT-TTg"),
    ("danhsach", "Danh sách văn bản bot đang có"),
    ("gioithieu", "Giới thiệu về bot"),
    ("help", "Hướng dẫn cách hỏi"),
    ("start", "Bắt đầu"),
]
ADMIN_COMMANDS = [
    ("reindex", "Quản trị: lập lại chỉ mục từ thư mục tài liệu"),
    ("xoa", "Quản trị: xóa một văn bản, ví dụ: /xoa mau/ke-hoach"),
    ("thongke", "Quản trị: thống kê câu hỏi và góp ý"),
]

# -- help and introduction
HELP_HTML = (
    "<b>Hỏi đáp Dân vận</b> — tra cứu nhanh các văn bản về công tác dân vận.\n\n"
    "<b>Cách hỏi:</b> gõ câu hỏi bằng tiếng Việt, có dấu hoặc không dấu đều được. Bot hiểu các chữ viết tắt "
    'như UBND, HĐND, MTTQ và số hiệu viết gọn như "NĐ 59", "CT 33". Bot trả lời bằng các đoạn trích '
    "từ văn bản đã lập chỉ mục, kèm số hiệu, ngày ban hành và nguồn để đồng chí đối chiếu văn bản gốc.\n\n"
    "<b>Ví dụ:</b>\n"
    "• Trách nhiệm của người đứng đầu trong công tác dân vận là gì?\n"
    '• Phong trào thi đua "Dân vận khéo"\n'
    "• Chỉ thị 33 yêu cầu gì về tiếp công dân, đối thoại với nhân dân?\n\n"
    "<b>Lệnh:</b>\n"
    "/hoi &lt;câu hỏi&gt; — hỏi (dùng được trong nhóm)\n"
    "/vanban &lt;số hiệu&gt; — xem một văn bản, ví dụ: /vanban 33/CT-TTg, /vanban CT 33\n"
    "/danhsach — danh sách văn bản bot đang có\n"
    "/gioithieu — giới thiệu về bot\n\n"
    "Dưới mỗi câu trả lời: <b>Xem thêm</b> cho các kết quả tiếp theo, <b>Toàn văn</b> để đọc cả văn bản, "
    "👍/👎 để góp ý.\n"
    "{group_hint}"
)
HELP_GROUP_HINT_HTML = (
    "\n<b>Trong nhóm:</b> gõ /hoi@{username} &lt;câu hỏi&gt;, nhắc @{username} kèm câu hỏi, "
    "hoặc trả lời (reply) tin nhắn của bot.\n"
    "<b>Ở cuộc trò chuyện bất kỳ:</b> gõ @{username} &lt;câu hỏi&gt; rồi chọn đoạn trích để gửi."
)
ADMIN_HELP_HTML = (
    "\n\n<b>Quản trị viên:</b> gửi tệp vào đây để bổ sung văn bản: .docx, .doc, .rtf, .odt, .pdf, .txt, .md, "
    ".html, hoặc ảnh chụp, bản quét .jpg, .png, .tif (đọc bằng OCR); gửi đường link (https://…) để tải một "
    "trang tin. /reindex — lập lại chỉ mục; /xoa &lt;mã văn bản&gt; — xóa văn bản; /thongke — thống kê.\n"
    "Phạm vi xem của tệp gửi lên: ghi vào chú thích (caption) của tệp /congkhai (ai cũng xem được), "
    "/noibo (lưu hành nội bộ) hoặc /hanche &lt;nhóm&gt; (chỉ nhóm đó, ví dụ /hanche bdv). "
    "Không ghi: theo phần đầu tệp hoặc thư mục, mặc định là nội bộ."
)
ABOUT_HTML = (
    "<b>Hỏi đáp Dân vận</b> là trợ lý tra cứu văn bản về công tác dân vận dành cho cán bộ.\n\n"
    "Bot tìm trong các văn bản đã được nạp (chỉ thị, nghị quyết, nghị định, quy chế, kế hoạch...) "
    "những đoạn liên quan nhất đến câu hỏi và trích ra, kèm số hiệu, ngày ban hành và nguồn. "
    "Một số văn bản có thể là thẻ tóm tắt do người biên soạn diễn đạt lại (khi đó thẻ ghi rõ). "
    "Bot không tự soạn câu trả lời và không thay thế văn bản gốc: khi trích dẫn hoặc áp dụng, "
    "cần đối chiếu toàn văn đã được công bố chính thức.\n\n"
    "{holdings}"
)
ABOUT_COUNTS_HTML = "Hiện bot có {documents} văn bản ({passages} đoạn). Gõ /danhsach để xem, /help để biết cách hỏi."
# The index holds documents but none may be shown here (/danhsach, /gioithieu): no count, no title.
HIDDEN_ONLY_HTML = (
    "Bot có văn bản nhưng chưa có văn bản nào được mở cho cuộc trò chuyện này. Quản trị viên có thể cấp quyền xem "
    "(members, audiences trong tệp cấu hình của bot) hoặc đặt văn bản ở phạm vi công khai "
    "(/congkhai khi gửi tệp, <code>visibility: public</code> ở phần đầu văn bản)."
)
# The same in the terminal chat, for the operator: the count and how to open them.
HIDDEN_ONLY_CONSOLE_HTML = (
    "Chỉ mục có {documents} văn bản nhưng không văn bản nào được xem ở đây (mặc định terminal chỉ đọc văn bản "
    "công khai; văn bản không ghi phạm vi là nội bộ). Để mở: chạy lại với --all, hoặc --as USER_ID --config "
    "&lt;tệp cấu hình&gt;; hoặc cho văn bản là công khai: <code>visibility: public</code> ở phần đầu văn bản "
    "(rồi gõ /reindex), hay visibility.default / visibility.folders trong tệp cấu hình (rồi chạy lại với --config)."
)

# -- answers
ANSWER_HEADER_HTML = "🔎 <b>Kết quả cho:</b> <i>{question}</i>"
ANSWER_FOOTER_HTML = "<i>Đoạn trích từ văn bản đã lập chỉ mục; cần đối chiếu văn bản gốc khi áp dụng.</i>"
NUMBER_LABEL = "Số hiệu"
DATE_LABEL = "ngày"
SOURCE_LABEL_HTML = "Nguồn:"
SOURCE_LINK_TEXT = "Xem văn bản gốc"
NOTHING_FOUND_HTML = (
    "Chưa tìm thấy nội dung phù hợp với câu hỏi <i>{question}</i> trong các văn bản bot đang có.\n\n"
    "Đồng chí có thể:\n"
    '• hỏi lại bằng từ ngữ khác, cụ thể hơn (ví dụ: "trách nhiệm người đứng đầu trong công tác dân vận");\n'
    "• tra một văn bản theo số hiệu: /vanban 33/CT-TTg;\n"
    "• xem các văn bản bot đang có: /danhsach."
)
DOCUMENT_MISSING_HTML = (
    "Câu hỏi <i>{question}</i> nêu số hiệu một văn bản mà bot chưa có, nên chưa trả lời được.\n\n"
    "Đồng chí có thể:\n"
    "• xem các văn bản bot đang có: /danhsach;\n"
    "• đề nghị quản trị viên nạp văn bản đó;\n"
    "• hỏi lại không kèm số hiệu để tìm trong các văn bản khác."
)
NO_INDEX_HTML = (
    "Bot chưa có văn bản nào để tra cứu. Quản trị viên cần nạp văn bản vào thư mục tài liệu rồi gõ /reindex."
)
ASK_USAGE_HTML = "Gõ câu hỏi sau lệnh, ví dụ:\n/hoi{at} trách nhiệm người đứng đầu trong công tác dân vận"
GROUP_EMPTY_MENTION_HTML = "Đồng chí cần hỏi gì? Ví dụ: <i>@{username} quy chế dân chủ ở cơ sở</i>"
UNKNOWN_COMMAND_HTML = "Bot không có lệnh này. Gõ /help để xem các lệnh, hoặc gõ thẳng câu hỏi."
RATE_LIMITED_HTML = (
    "Đồng chí hỏi hơi nhanh. Xin vui lòng chờ khoảng {seconds} giây rồi hỏi tiếp, "
    "để bot kịp phục vụ mọi người."
)
EMPTY_QUESTION_HTML = (
    "Đồng chí gõ câu hỏi bằng chữ, ví dụ: <i>trách nhiệm người đứng đầu trong công tác dân vận</i>. "
    "Gõ /help để xem hướng dẫn."
)
# Small talk (bot/smalltalk.py): short replies instead of a search. {help}: /help, or /help@bot in a group.
SMALLTALK_GREETING_HTML = (
    "Chào đồng chí! Bot <b>Hỏi đáp Dân vận</b> giúp tra cứu các văn bản về công tác dân vận: đồng chí gõ câu hỏi "
    "(có dấu hoặc không dấu đều được), bot trả về các đoạn văn bản liên quan kèm số hiệu và nguồn. "
    "Gõ {help} để xem hướng dẫn và ví dụ."
)
SMALLTALK_THANKS_HTML = "Không có gì ạ! Đồng chí cần tra cứu thêm cứ gõ câu hỏi."
SMALLTALK_ACK_HTML = "Vâng ạ. Khi cần tra cứu, đồng chí cứ gõ câu hỏi."
QUESTION_CLIPPED_HTML = "<i>(Câu hỏi dài: bot chỉ dùng {limit} ký tự đầu.)</i>"
ERROR_HTML = "Xin lỗi, bot gặp sự cố khi xử lý yêu cầu này. Đồng chí vui lòng thử lại sau ít phút."

# -- buttons and pop-up notices -------------------------------------------------------------------------------
BUTTON_MORE = "Xem thêm ▶"
BUTTON_BACK = "◀ Trước"
BUTTON_FULL = "📖 Toàn văn"
BUTTON_FULL_N = "📖 Toàn văn {n}"
BUTTON_LIKE = "👍 Hữu ích"
BUTTON_DISLIKE = "👎 Chưa đúng"
BUTTON_PAGE_PREV = "◀ Trang trước"
BUTTON_PAGE_NEXT = "Trang sau ▶"
BUTTON_FIRST_PAGE = "⏮ Đầu văn bản"
NOTICE_NO_MORE = "Không còn kết quả nào khác."
NOTICE_STALE = "Nút này đã cũ (văn bản đã được cập nhật). Đồng chí vui lòng hỏi lại."
NOTICE_THANKS = "Cảm ơn đồng chí đã góp ý!"
NOTICE_ADMIN_ONLY = "Chức năng này chỉ dành cho quản trị viên."

# -- documents
CARD_TITLE_HTML = "📄 <b>{title}</b>"
CARD_NUMBER_HTML = "Số hiệu: <b>{value}</b>"
CARD_TYPE_HTML = "Loại văn bản: {value}"
CARD_ISSUER_HTML = "Cơ quan ban hành: {value}"
CARD_ISSUED_HTML = "Ngày ban hành: {value}"
CARD_SOURCE_HTML = "Nguồn: {value}"
CARD_PASSAGES_HTML = "Số đoạn: {value}"
CARD_ID_HTML = "Mã văn bản: <code>{value}</code>"
CARD_VISIBILITY_HTML = "Phạm vi: {value}"
VISIBILITY_PUBLIC_HTML = "công khai"
VISIBILITY_INTERNAL_HTML = "🔒 lưu hành nội bộ — không chuyển tiếp ra ngoài"
VISIBILITY_RESTRICTED_HTML = "🔒 hạn chế, chỉ dành cho: {audience} — không chuyển tiếp"
VISIBILITY_NOBODY = "(chưa có nhóm nào)"
# Marks on non-public documents in answers, full texts and lists (plain text inside HTML: no markup).
MARK_INTERNAL = "🔒 nội bộ"
MARK_RESTRICTED = "🔒 hạn chế"
CARD_OPENING_HTML = "<b>Đoạn mở đầu</b>"
VANBAN_USAGE_HTML = (
    "Gõ số hiệu văn bản sau lệnh, ví dụ:\n/vanban 33/CT-TTg\n/vanban CT 33\n/vanban chỉ thị 16 năm 2020"
)
VANBAN_NOT_FOUND_HTML = (
    "Không tìm thấy văn bản nào có số hiệu hoặc tên <i>{query}</i>. Gõ /danhsach để xem các văn bản bot đang có."
)
VANBAN_SEVERAL_HTML = "Có {count} văn bản khớp với <i>{query}</i>. Chọn văn bản cần xem:"
FULLTEXT_HEADER_HTML = "📖 <b>{title}</b>{number}\n<i>Trang {page}/{pages}</i>"
LIST_HEADER_HTML = "📚 <b>Các văn bản bot đang có</b> ({count}) — trang {page}/{pages}"
LIST_EMPTY_HTML = "Bot chưa có văn bản nào."
LIST_FOOTER_HTML = "Bấm vào một văn bản để xem chi tiết."

# -- inline mode
INLINE_HELP_BUTTON = "Gõ câu hỏi sau tên bot — bấm đây để xem hướng dẫn"
INLINE_NOTHING_BUTTON = "Chưa tìm thấy nội dung phù hợp — bấm đây để xem hướng dẫn"
INLINE_CITED_FOOTER_HTML = "<i>Trích qua bot Hỏi đáp Dân vận</i>"

# -- administration
ADMIN_ONLY_HTML = (
    "Xin lỗi, chức năng này chỉ dành cho quản trị viên của bot. Đồng chí vẫn có thể đặt câu hỏi "
    "và tra cứu văn bản như bình thường."
)
ADMIN_PRIVATE_ONLY_HTML = (
    "Lệnh quản trị chỉ dùng trong cuộc trò chuyện riêng với bot, để thông tin quản trị không hiện trong nhóm."
)
REINDEX_STARTED_HTML = (
    "⏳ Đang lập lại chỉ mục từ thư mục tài liệu. Trong lúc chờ, bot vẫn trả lời bằng chỉ mục cũ; "
    "bot sẽ báo kết quả khi xong."
)
REINDEX_RUNNING_HTML = "Việc lập lại chỉ mục đang chạy; bot sẽ báo kết quả khi xong."
REINDEX_DONE_HTML = "✅ <b>Đã lập lại chỉ mục</b> trong {seconds} giây."
REINDEX_FAILED_HTML = "❌ Lập chỉ mục không thành công: {reason}"
REPORT_COUNTS_HTML = (
    "• Văn bản: {documents} · Đoạn: {passages}\n"
    "• Mới: {added} · Cập nhật: {changed} · Đã xóa: {removed} · Giữ nguyên: {unchanged}\n"
    "• Lỗi: {errors}"
)
REPORT_ERROR_LINE_HTML = "  – <code>{path}</code>: {reason}"
REPORT_MORE_ERRORS_HTML = "  … và {count} lỗi khác"

# An upload that is not taken: one line naming the file and the reason ({reason}: escaped text).
UPLOAD_REJECTED_HTML = "❌ Không nhận tệp <code>{name}</code>: {reason}."
UPLOAD_REASON_BAD_NAME = "tên tệp không hợp lệ, đặt lại tên (ví dụ: ke-hoach-dan-van-2024.docx) rồi gửi lại"
UPLOAD_REASON_UNSUPPORTED = "định dạng {suffix} chưa được hỗ trợ (bot đọc được {supported})"
UPLOAD_REASON_TOO_BIG = "tệp quá lớn ({size} MB, giới hạn {limit} MB)"
UPLOAD_REASON_EMPTY = "tệp rỗng (0 byte)"
UPLOAD_REASON_DOWNLOAD = "không tải được tệp từ Telegram, đồng chí vui lòng gửi lại"
UPLOAD_REASON_SAVE = "không lưu được vào thư mục tài liệu ({reason})"
UPLOAD_REASON_NAME_TAKEN = (
    "đã có tệp {other} cùng tên (cùng mã văn bản {id}); đổi tên tệp, hoặc xóa văn bản cũ bằng /xoa {id} rồi gửi lại"
)
UPLOAD_REASON_INDEX = "lập chỉ mục không thành công ({reason})"
UPLOAD_REASON_NO_AUDIENCE = "lệnh /hanche cần tên nhóm được xem, ví dụ: /hanche bdv"
UPLOAD_REASON_UNKNOWN_AUDIENCE = (
    "chưa có nhóm {names} trong cấu hình (audiences); các nhóm hiện có: {known}"
)
UPLOAD_SAME_HTML = "Tệp <code>{name}</code> đã có trong thư mục tài liệu, nội dung không đổi; không có gì thay đổi."
UPLOAD_IN_GROUP_HTML = (
    "Để bổ sung văn bản, quản trị viên gửi tệp cho bot trong cuộc trò chuyện riêng; tệp gửi trong nhóm không được lưu."
)
UPLOAD_OK_HTML = "✅ Đã lưu và lập chỉ mục <code>{name}</code>{replaced}."
UPLOAD_REPLACED_HTML = " (thay bản cũ)"
UPLOAD_WARNING_HTML = "⚠️ {warning}"
UPLOAD_NO_PASSAGES_HTML = (
    "⚠️ Không tách được đoạn nội dung nào từ văn bản này nên chưa tra cứu được. Đồng chí kiểm tra lại tệp "
    "(ví dụ: nội dung nằm trong hình ảnh, hoặc chỉ có các dòng tiêu đề)."
)
UPLOAD_NOT_FOUND_HTML = "Tệp đã được lưu nhưng không thấy trong chỉ mục. Đồng chí thử /reindex."

DELETE_USAGE_HTML = (
    "Gõ mã văn bản sau lệnh, ví dụ: /xoa mau/ke-hoach-mau. Mã văn bản có trong /vanban và /danhsach."
)
DELETE_NOT_FOUND_HTML = "Không có văn bản mã <code>{id}</code>. Xem mã văn bản bằng /danhsach."
DELETE_AMBIGUOUS_HTML = (
    "Có nhiều văn bản khớp với <i>{query}</i>; đồng chí gõ /xoa kèm đúng mã văn bản:\n{ids}"
)
DELETE_UNSAFE_HTML = "Không xóa được: tệp của văn bản không nằm trong thư mục tài liệu."
DELETE_FAILED_HTML = "Không xóa được tệp: {reason}"
DELETE_OK_HTML = "🗑 Đã xóa văn bản <b>{title}</b> (<code>{id}</code>) và lập lại chỉ mục."

STATS_HEADER_HTML = "📊 <b>Thống kê</b>"
STATS_INDEX_HTML = "Chỉ mục: {documents} văn bản, {passages} đoạn."
STATS_QUESTIONS_HTML = (
    "Câu hỏi: {questions} (từ {users} người) · Không tìm thấy: {unanswered} · Từ chối quyền: {refusals}"
)
STATS_FEEDBACK_HTML = "Góp ý: 👍 {up} · 👎 {down}"
STATS_TOP_HTML = "<b>Hỏi nhiều nhất:</b>"
STATS_UNANSWERED_HTML = "<b>Chưa tìm thấy câu trả lời:</b>"
STATS_LINE_HTML = "{n}. {text} ({count})"
STATS_NONE_HTML = "(chưa có)"

# -- terminal
CONSOLE_WELCOME = (
    "Hỏi đáp Dân vận — trò chuyện trên terminal. Gõ câu hỏi rồi nhấn Enter; /help để xem lệnh; "
    "/<số> để bấm nút (ví dụ /1); Ctrl+D để thoát."
)
CONSOLE_NO_TOKEN = "Chưa có biến môi trường TELEGRAM_BOT_TOKEN: mở trò chuyện trên terminal với cùng các câu trả lời của bot."
CONSOLE_BUTTONS = "Nút: {buttons}"
CONSOLE_NO_BUTTON = "Không có nút số {n}."
CONSOLE_NO_BUTTONS = "Không có nút số {n}: tin nhắn vừa rồi không có nút nào."
CONSOLE_NOTICE = "({notice})"
CONSOLE_BUILDING = "Chưa có chỉ mục, đang lập chỉ mục từ {knowledge} ..."
CONSOLE_RELABELLING = (
    "Chỉ mục được lập theo quy tắc phạm vi xem (visibility) khác cấu hình, hoặc bằng phiên bản cũ: đang cập nhật ..."
)
CONFIG_ERROR = "LỖI cấu hình: {error}"

# -- command line (plain text)
CLI_PUBLIC_ONLY = "(Chỉ tìm trong văn bản công khai; --as USER_ID hoặc --all để tìm cả văn bản nội bộ.)"
REACH_WORDS = {"public": "công khai", "internal": "nội bộ", "restricted": "hạn chế"}  # `danvan ask` labels

# -- configuration errors
CONFIG_MISSING = "không tìm thấy tệp cấu hình {path}"
KNOWLEDGE_MISSING = "không tìm thấy thư mục tài liệu {path}"
CONFIG_UNREADABLE = "không đọc được tệp cấu hình {path}: {reason}"
CONFIG_NOT_MAPPING = "tệp cấu hình phải là các cặp khóa: giá trị"
CONFIG_BAD_VALUE = "giá trị của '{key}' không hợp lệ: {reason}"
CONFIG_NEED_WEBHOOK_URL = "chế độ webhook cần webhook.url (địa chỉ https công khai của bot)"

# -- links and scans
LINK_OK_HTML = "✅ Đã tải trang {url}, lưu thành <code>{path}</code>{replaced} và lập chỉ mục."
LINK_FAILED_HTML = "❌ Không lấy được trang {url}: {reason}."
SCANNED_LABEL_HTML = "<i>(văn bản quét)</i>"
LIST_UPDATED = "cập nhật {when}"
