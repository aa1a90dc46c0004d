"""The query log: questions, feedback and admin events in a SQLite file of their own (sqlite-utils), separate
from the index, so that rebuilding the index never loses them. Button callback data refers to a question by
its id here, which keeps callback data short whatever the question's length."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path

import sqlite_utils

from indexer.analysis import fold, normalize

_SPACES = re.compile(r"\s+")


def question_key(text: str) -> str:
    """What makes two questions 'the same' in the statistics: folded, without punctuation and extra spaces."""
    return _SPACES.sub(" ", re.sub(r"[^\w/]+", " ", fold(normalize(text)))).strip()


class QueryLog:
    """Thread-safe (one connection behind a lock); every call is a short transaction."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
        self.db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self._init_schema()

    def _init_schema(self) -> None:
        with self._lock:
            names = set(self.db.table_names())
            if "questions" not in names:
                self.db["questions"].create(
                    {
                        "id": int,
                        "ts": float,
                        "user_id": int,
                        "chat_id": int,
                        "chat_type": str,
                        "text": str,
                        "key": str,
                        "hits": int,
                        "confident": int,
                        "top_doc": str,
                    },
                    pk="id",
                )
                self.db["questions"].create_index(["key"])
            if "feedback" not in names:
                self.db["feedback"].create(
                    {"question_id": int, "user_id": int, "value": int, "ts": float},
                    pk=("question_id", "user_id"),
                )
            if "events" not in names:
                self.db["events"].create(
                    {
                        "id": int,
                        "ts": float,
                        "kind": str,
                        "user_id": int,
                        "chat_id": int,
                        "detail": str,
                    },
                    pk="id",
                )

    # -- writing
    def add_question(
        self,
        text: str,
        *,
        user_id: int,
        chat_id: int,
        chat_type: str,
        hits: int,
        confident: bool,
        top_doc: str | None = None,
    ) -> int:
        with self._lock, self.db.conn:
            table = self.db["questions"]
            table.insert(
                {
                    "ts": time.time(),
                    "user_id": user_id,
                    "chat_id": chat_id,
                    "chat_type": chat_type,
                    "text": text,
                    "key": question_key(text),
                    "hits": hits,
                    "confident": int(bool(confident)),
                    "top_doc": top_doc,
                }
            )
            return int(table.last_pk)

    def set_feedback(self, question_id: int, user_id: int, value: int, chat_id: int | None = None) -> bool:
        """Record 👍 (1) or 👎 (-1); a second vote by the same person replaces the first.
        False if there is no such question (asked in chat_id, when given)."""
        with self._lock, self.db.conn:
            if self._find(question_id, chat_id) is None:
                return False
            self.db["feedback"].upsert(
                {
                    "question_id": question_id,
                    "user_id": user_id,
                    "value": 1 if value > 0 else -1,
                    "ts": time.time(),
                },
                pk=("question_id", "user_id"),
            )
            return True

    def add_event(self, kind: str, *, user_id: int, chat_id: int, detail: str = "") -> None:
        with self._lock, self.db.conn:
            self.db["events"].insert(
                {"ts": time.time(), "kind": kind, "user_id": user_id, "chat_id": chat_id, "detail": detail}
            )

    # -- reading
    def _find(self, question_id: int, chat_id: int | None) -> tuple | None:
        if not -(2**63) <= question_id < 2**63:
            return None
        row = self.db.execute("SELECT text, chat_id FROM questions WHERE id = ?", (question_id,)).fetchone()
        if row is None or (chat_id is not None and row[1] != chat_id):
            return None
        return row

    def question(self, question_id: int, chat_id: int | None = None) -> str | None:
        """The text of a question; with chat_id, only if it was asked in that chat (button data can be forged:
        a question asked elsewhere, maybe in a private chat, must not be shown)."""
        with self._lock:
            row = self._find(question_id, chat_id)
        return row[0] if row else None

    def events(self, kind: str | None = None) -> list[dict]:
        sql = "SELECT ts, kind, user_id, chat_id, detail FROM events"
        args: tuple = ()
        if kind:
            sql, args = sql + " WHERE kind = ?", (kind,)
        with self._lock:
            rows = self.db.execute(sql + " ORDER BY id", args).fetchall()
        return [dict(zip(("ts", "kind", "user_id", "chat_id", "detail"), r, strict=True)) for r in rows]

    def feedback_totals(self) -> tuple[int, int]:
        with self._lock:
            up, down = self.db.execute(
                "SELECT coalesce(sum(value > 0), 0), coalesce(sum(value < 0), 0) FROM feedback"
            ).fetchone()
        return int(up), int(down)

    def stats(self, top: int = 10) -> dict:
        """Counts, the most asked questions, the questions that found nothing, feedback totals."""
        with self._lock:
            q = self.db.execute(
                "SELECT count(*), count(DISTINCT user_id), coalesce(sum(confident = 0), 0) FROM questions"
            ).fetchone()
            refusals = self.db.execute("SELECT count(*) FROM events WHERE kind = 'refused'").fetchone()[0]

            def grouped(where: str) -> list[tuple[str, int]]:
                rows = self.db.execute(
                    "SELECT (SELECT text FROM questions q2 WHERE q2.key = q.key "
                    "ORDER BY q2.id DESC LIMIT 1), "
                    f"count(*) AS n FROM questions q {where} "
                    "GROUP BY key ORDER BY n DESC, max(id) DESC LIMIT ?",
                    (top,),
                ).fetchall()
                return [(r[0], int(r[1])) for r in rows]

            most = grouped("")
            unanswered = grouped("WHERE confident = 0")
        up, down = self.feedback_totals()
        return {
            "questions": int(q[0]),
            "users": int(q[1]),
            "unanswered": int(q[2]),
            "refusals": int(refusals),
            "top": most,
            "top_unanswered": unanswered,
            "feedback_up": up,
            "feedback_down": down,
        }

    def close(self) -> None:
        with self._lock:
            self.db.conn.close()
