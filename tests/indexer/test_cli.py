import json
import subprocess
import sys

from bot.cli import main


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_index_ask_search_json(knowledge, tmp_path):
    db = str(tmp_path / "i.db")
    proc = run("index", "--knowledge", str(knowledge), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "3 văn bản" in proc.stderr

    proc = run("ask", "--db", db, "-k", "2", "--json", "chi thi 33 la gi")  # as the public: nothing is public
    assert json.loads(proc.stdout)["hits"] == []
    proc = run("ask", "--db", db, "-k", "2", "--json", "--all", "chi thi 33 la gi")
    data = json.loads(proc.stdout)
    assert data["query"] == "chi thi 33 la gi" and isinstance(data["confident"], bool)
    assert len(data["hits"]) == 2
    hit = data["hits"][0]
    assert {"doc", "title", "number", "issued", "heading", "text", "score"} <= set(hit)
    assert hit["doc"] == "ct-33" and hit["number"] == "33/CT-TTg"

    proc = run("search", "--db", db, "--jsonl", "-k", "1", "--all", stdin="CT 33\nBan Thanh tra nhân dân\n\n")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [d["query"] for d in lines] == ["CT 33", "Ban Thanh tra nhân dân", ""]
    assert lines[1]["hits"][0]["doc"] == "luat/luat-99" and lines[2]["hits"] == []


def test_index_reports_broken_file_and_exit_codes(knowledge, tmp_path, capsys):
    (knowledge / "hong.pdf").write_bytes(b"%PDF-1.4 broken")
    assert main(["index", "--knowledge", str(knowledge), "--db", str(tmp_path / "i.db")]) == 0
    err = capsys.readouterr().err
    assert "LỖI hong.pdf: tệp PDF bị hỏng" in err
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "x.docx").write_bytes(b"junk")
    assert main(["index", "--knowledge", str(only_bad), "--db", str(tmp_path / "j.db")]) == 1
    assert main(["index", "--knowledge", str(tmp_path / "missing"), "--db", str(tmp_path / "k.db")]) == 2


def test_ask_without_index_says_how_to_build(tmp_path, capsys):
    try:
        main(["ask", "--db", str(tmp_path / "none.db"), "câu hỏi"])
    except SystemExit as exc:
        assert exc.code == 2
    assert "danvan index" in capsys.readouterr().err
