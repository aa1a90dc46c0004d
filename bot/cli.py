"""The `danvan` command line: a thin layer over the indexer library and the bot front ends."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from indexer.search import default_db_path, default_knowledge_dir


def _progress_bar(stream=None):
    """A one-line progress bar on a terminal; nothing when output is not a terminal."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None

    def show(done: int, total: int, name: str) -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        label = name if len(name) <= 60 else "…" + name[-59:]  # "file: OCR trang 3/12" while a scan is read
        show.shown = True
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<60}")
        stream.flush()

    def finish() -> None:
        if show.shown:
            stream.write("\n")
            stream.flush()

    show.shown = False
    show.finish = finish

    return show


def print_report(report, out=None) -> None:
    out = out or sys.stderr
    for path, reason in report.errors:
        print(f"LỖI {path}: {reason}", file=out)
    for path, reason in report.warnings:
        print(f"CẢNH BÁO {path}: {reason}", file=out)
    print(
        f"Đã lập chỉ mục: {report.documents} văn bản, {report.passages} đoạn "
        f"(mới {len(report.added)}, cập nhật {len(report.changed)}, xóa {len(report.removed)}, "
        f"giữ nguyên {report.unchanged}, lỗi {len(report.errors)}) trong {report.seconds:.1f} giây.",
        file=out,
    )


def _library_logs(verbose: bool) -> None:
    """The problems the indexer logs are printed by print_report as 'LỖI tệp: lý do' lines; its log records
    are shown (with time and level, for a log file) only with --verbose, never twice."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    elif not logging.getLogger().handlers:
        logging.getLogger("indexer").addHandler(logging.NullHandler())


def cmd_index(args) -> int:
    from indexer.documents import Limits
    from indexer.store import build

    _library_logs(args.verbose)
    limits, rules = Limits(), None  # without a config: the visibility rules the index was built with
    if args.config:
        from bot.config import ConfigError, load_config

        try:
            config = load_config(args.config)
        except ConfigError as exc:
            print(f"LỖI cấu hình: {exc}", file=sys.stderr)
            return 2
        limits, rules = config.limits.document_limits(), config.visibility
    try:
        bar = _progress_bar()
        report = build(Path(args.knowledge), Path(args.db), progress=bar, limits=limits, force=args.force,
                       visibility=rules)
    except FileNotFoundError as exc:
        print(f"LỖI: {exc}", file=sys.stderr)
        return 2
    if bar:
        bar.finish()
    print_report(report)
    return 0 if report.documents > 0 or not report.errors else 1


def cmd_add(args) -> int:
    """Fetch a page (or a linked document), save it into the knowledge folder, index incrementally."""
    from bot.config import ConfigError, LimitsConfig, load_config
    from indexer import web
    from indexer.documents import DocumentError
    from indexer.store import build

    _library_logs(args.verbose)
    limits, rules = LimitsConfig(), None
    if args.config:
        try:
            config = load_config(args.config)
            limits, rules = config.limits, config.visibility
        except ConfigError as exc:
            print(f"LỖI cấu hình: {exc}", file=sys.stderr)
            return 2
    knowledge = Path(args.knowledge)
    status = 0
    for url in args.urls:
        try:
            saved = web.save(url, knowledge, int(limits.max_page_mb * 2**20), limits.fetch_seconds)
        except DocumentError as exc:
            print(f"LỖI {url}: {exc}", file=sys.stderr)
            status = 1
            continue
        rel = saved.path.relative_to(knowledge).as_posix()
        print(f"{'Đã thay' if saved.replaced else 'Đã lưu'} {url} -> {rel}", file=sys.stderr)
    bar = _progress_bar()
    report = build(knowledge, Path(args.db), progress=bar, limits=limits.document_limits(), visibility=rules)
    if bar:
        bar.finish()
    print_report(report)
    return status


def _open(args):
    from indexer.search import Searcher

    db = Path(args.db)
    if not db.exists():
        print(f"LỖI: chưa có chỉ mục {db}. Chạy: danvan index --db {db}", file=sys.stderr)
        raise SystemExit(2)
    return Searcher(db)


def viewer_of(args):
    """Who the command line answers as: an anonymous member of the public (public documents only), unless
    --as USER_ID (that Telegram user's rights in a private chat, from the config) or --all (the operator)."""
    from indexer.visibility import Viewer

    if getattr(args, "all", False):
        return Viewer.everything()
    user = getattr(args, "as_user", None)
    if user is None:
        return Viewer.public()
    from bot.access import user_viewer
    from bot.config import ConfigError, load_config

    try:
        config = load_config(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"LỖI cấu hình: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return user_viewer(config, user)


def add_viewer_options(p) -> None:
    who = p.add_mutually_exclusive_group()
    who.add_argument("--as", dest="as_user", type=int, metavar="USER_ID",
                     help="trả lời như người dùng Telegram này (quyền xem theo tệp cấu hình)")
    who.add_argument("--all", action="store_true", help="xem mọi văn bản, kể cả nội bộ, hạn chế (người vận hành)")


def reach_word(visibility: str | None) -> str:
    """A document's reach in words ('nội bộ'); '' for public. An unknown value counts as restricted, as it
    does in the index."""
    from bot import messages as M

    if visibility in (None, "", "public"):
        return ""
    return M.REACH_WORDS.get(visibility, M.REACH_WORDS["restricted"])


def format_hits(result) -> str:
    if not result.hits:
        return "Không tìm thấy đoạn văn bản nào phù hợp."
    lines = [] if result.confident else ["(Độ tin cậy thấp: có thể không có văn bản trả lời câu hỏi này.)", ""]
    for i, h in enumerate(result.hits, 1):
        meta = " · ".join(filter(None, [h.number, h.issued, reach_word(h.visibility)]))
        lines.append(f"{i}. {h.title}" + (f" [{meta}]" if meta else "") + f"  (điểm {h.score:.2f})")
        if h.heading:
            lines.append(f"   {h.heading}")
        lines.append("   " + h.snippet.replace("\n", " "))
        lines.append("")
    return "\n".join(lines).rstrip()


def cmd_ask(args) -> int:
    from indexer.visibility import Viewer

    viewer = viewer_of(args)
    searcher = _open(args)
    result = searcher.search(" ".join(args.question), k=args.k, viewer=viewer)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        print(format_hits(result), flush=True)  # before the hint: both may go to one file or pipe
        if viewer == Viewer.public():
            from bot import messages as M

            print(M.CLI_PUBLIC_ONLY, file=sys.stderr, flush=True)
    return 0


def cmd_search(args) -> int:
    if not args.jsonl:
        print("LỖI: danvan search đọc từng câu hỏi trên stdin; dùng --jsonl.", file=sys.stderr)
        return 2
    viewer = viewer_of(args)
    searcher = _open(args)
    for line in sys.stdin:
        question = line.strip()
        result = searcher.search(question, k=args.k, viewer=viewer)
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


def cmd_eval(args) -> int:
    from indexer.evaluate import format_report, run

    db = Path(args.db)
    if args.knowledge:
        from indexer.store import build

        _library_logs(False)
        bar = _progress_bar()
        report = build(Path(args.knowledge), db, progress=bar)
        if bar:
            bar.finish()
        print_report(report)
    reports = run(db, Path(args.questions), baselines=not args.no_baselines)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, ensure_ascii=False, indent=1), encoding="utf-8")
    print(format_report(reports))
    return 0


def cmd_run(args) -> int:
    from bot import app

    return app.main(args)


def cmd_chat(args) -> int:
    from bot import console

    return console.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="danvan", description="Hỏi đáp Dân vận: tìm kiếm văn bản và bot Telegram.")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_db(p):
        p.add_argument("--db", default=str(default_db_path()), help="tệp chỉ mục SQLite (mặc định: %(default)s)")
        return p

    p = with_db(sub.add_parser("index", help="lập hoặc cập nhật chỉ mục từ thư mục tài liệu"))
    p.add_argument("--knowledge", default=str(default_knowledge_dir()), help="thư mục tài liệu (mặc định: %(default)s)")
    p.add_argument("--force", action="store_true", help="đọc lại mọi tệp")
    p.add_argument("--config", help="lấy các giới hạn (limits) từ tệp cấu hình YAML của bot")
    p.add_argument("-v", "--verbose", action="store_true", help="in cả nhật ký (log) của bộ lập chỉ mục")
    p.set_defaults(func=cmd_index)

    p = with_db(sub.add_parser("add", help="tải trang web (tin trên cổng thông tin) vào thư mục tài liệu, lập chỉ mục"))
    p.add_argument("urls", nargs="+", metavar="URL")
    p.add_argument("--knowledge", default=str(default_knowledge_dir()), help="thư mục tài liệu (mặc định: %(default)s)")
    p.add_argument("--config", help="lấy các giới hạn (limits) từ tệp cấu hình YAML của bot")
    p.add_argument("-v", "--verbose", action="store_true", help="in cả nhật ký (log) của bộ lập chỉ mục")
    p.set_defaults(func=cmd_add)

    p = with_db(sub.add_parser("ask", help="hỏi một câu, in các đoạn trả lời"))
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--config", help="tệp cấu hình YAML (cho --as)")
    add_viewer_options(p)
    p.add_argument("question", nargs="+")
    p.set_defaults(func=cmd_ask)

    p = with_db(sub.add_parser("search", help="mỗi dòng stdin một câu hỏi, mỗi dòng stdout một JSON"))
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--jsonl", action="store_true")
    p.add_argument("--config", help="tệp cấu hình YAML (cho --as)")
    add_viewer_options(p)
    p.set_defaults(func=cmd_search)

    p = with_db(sub.add_parser("eval", help="đánh giá truy hồi trên bộ câu hỏi YAML"))
    p.add_argument("questions")
    p.add_argument("--knowledge", help="lập chỉ mục thư mục này trước khi đánh giá")
    p.add_argument("--json", help="ghi kết quả chi tiết ra tệp JSON")
    p.add_argument("--no-baselines", action="store_true")
    p.set_defaults(func=cmd_eval)

    sub.add_parser("bench", help="đo tốc độ bộ máy tìm kiếm, in bảng (danvan bench --help)")

    for name, func, text in (("run", cmd_run, "chạy bot Telegram (hoặc trò chuyện trên terminal nếu không có token)"),
                             ("chat", cmd_chat, "trò chuyện với bot trên terminal")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", help="tệp cấu hình YAML (hoặc biến môi trường DANVAN_CONFIG)")
        p.add_argument("--db", help="tệp chỉ mục SQLite")
        p.add_argument("--knowledge", help="thư mục tài liệu")
        add_viewer_options(p)  # the terminal chat's reader: public documents only unless --as / --all
        p.set_defaults(func=func)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # a closed pipe (danvan ask ... | head) ends the command quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # the benchmark has its own options; hand them over untouched
        from indexer import bench

        return bench.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
