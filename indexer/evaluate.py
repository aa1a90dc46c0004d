"""Retrieval evaluation: MRR@10 and Hit@1/3/5/10 overall and per question type, the low-confidence flag on
`noanswer` items, and baselines measured in the same run on the same passages.

Matching rule (shared eval README): passage text and each expected string are NFC-normalized, case-folded,
white space collapsed; a passage is relevant if it contains any expected string.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from .search import Searcher

CUTOFFS = (1, 3, 5, 10)


def match_form(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).casefold()).strip()


def load_questions(path: Path) -> list[dict]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected a YAML list of questions")
    return items


def first_relevant(texts: list[str], expect: list[str]) -> int | None:
    """1-based rank of the first text containing an expected string, or None."""
    wanted = [match_form(e) for e in expect]
    for rank, text in enumerate(texts, 1):
        t = match_form(text)
        if any(w in t for w in wanted):
            return rank
    return None


def metrics(ranks: list[int | None]) -> dict:
    n = len(ranks)
    out = {"n": n, "MRR@10": sum(1 / r for r in ranks if r and r <= 10) / n if n else 0.0}
    for c in CUTOFFS:
        out[f"Hit@{c}"] = sum(1 for r in ranks if r and r <= c) / n if n else 0.0
    return out


Retriever = Callable[[str], tuple[list[str], bool | None]]


def evaluate(questions: list[dict], retrieve: Retriever) -> dict:
    """Run retrieve(question) -> (top passage texts, confident) over the set; return the report."""
    by_type: dict[str, list] = defaultdict(list)
    answerable: list = []
    flags = {"noanswer_flagged": 0, "noanswer": 0, "answerable_flagged": 0, "answerable": 0}
    details = []
    for item in questions:
        texts, confident = retrieve(item["q"])
        kind = item.get("type", "natural")
        if kind == "noanswer" or not item.get("expect"):
            flags["noanswer"] += 1
            flags["noanswer_flagged"] += confident is False
            details.append({"id": item.get("id"), "type": kind, "rank": None, "confident": confident})
            continue
        rank = first_relevant(texts[:10], item["expect"])
        by_type[kind].append(rank)
        answerable.append(rank)
        flags["answerable"] += 1
        flags["answerable_flagged"] += confident is False
        details.append({"id": item.get("id"), "type": kind, "rank": rank, "confident": confident})
    return {
        "overall": metrics(answerable),
        "types": {k: metrics(v) for k, v in sorted(by_type.items())},
        "flags": flags,
        "details": details,
    }


def project_retriever(searcher: Searcher) -> Retriever:
    def retrieve(q: str):
        result = searcher.search(q, k=10)
        return [h.text for h in result.hits], result.confident

    return retrieve


def _passages(db_path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT text FROM passages ORDER BY id")]
    finally:
        conn.close()


def rank_bm25_baseline(texts: list[str]) -> Retriever:
    from rank_bm25 import BM25Okapi

    bm25 = BM25Okapi([t.lower().split() for t in texts])

    def retrieve(q: str):
        scores = bm25.get_scores(q.lower().split())
        return [texts[i] for i in np.argsort(-scores)[:10]], None

    return retrieve


def fts5_baseline(texts: list[str]) -> Retriever:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE p USING fts5(text)")
    conn.executemany("INSERT INTO p(rowid, text) VALUES (?, ?)", enumerate(texts))

    def retrieve(q: str):
        words = re.findall(r"\w+", q)
        if not words:
            return [], None
        expr = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        rows = conn.execute("SELECT rowid FROM p WHERE p MATCH ? ORDER BY bm25(p) LIMIT 10", (expr,)).fetchall()
        return [texts[r[0]] for r in rows], None

    return retrieve


def bm25s_baseline(texts: list[str]) -> Retriever | None:
    try:
        import bm25s
    except ImportError:
        return None
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords=None, show_progress=False), show_progress=False)

    def retrieve(q: str):
        tokens = bm25s.tokenize([q], stopwords=None, show_progress=False)
        k = min(10, len(texts))
        docs, _ = retriever.retrieve(tokens, k=k, show_progress=False)
        return [texts[int(i)] for i in docs[0]], None

    return retrieve


def run(db_path: Path, questions_path: Path, baselines: bool = True) -> dict[str, dict]:
    questions = load_questions(questions_path)
    reports = {"danvan": evaluate(questions, project_retriever(Searcher(db_path)))}
    if baselines:
        texts = _passages(db_path)
        reports["rank-bm25 (whitespace)"] = evaluate(questions, rank_bm25_baseline(texts))
        reports["sqlite-fts5 (unicode61)"] = evaluate(questions, fts5_baseline(texts))
        bm25s_retriever = bm25s_baseline(texts)
        if bm25s_retriever:
            reports["bm25s (default)"] = evaluate(questions, bm25s_retriever)
    return reports


def format_report(reports: dict[str, dict]) -> str:
    cols = ["n", "MRR@10", "Hit@1", "Hit@3", "Hit@5", "Hit@10"]
    lines = []
    main = reports["danvan"]
    header = f"{'system':26} {'type':11} " + " ".join(f"{c:>7}" for c in cols)
    lines += [header, "-" * len(header)]
    for name, rep in reports.items():
        rows = [("overall", rep["overall"])] + (list(rep["types"].items()) if name == "danvan" else [])
        for kind, m in rows:
            vals = " ".join(f"{m[c]:>7}" if c == "n" else f"{m[c]:>7.3f}" for c in cols)
            lines.append(f"{name:26} {kind:11} {vals}")
    f = main["flags"]
    lines.append("")
    lines.append(f"low-confidence flag: noanswer flagged {f['noanswer_flagged']}/{f['noanswer']}; "
                 f"answerable wrongly flagged {f['answerable_flagged']}/{f['answerable']}")
    per_type = {k: m["MRR@10"] for k, m in main["types"].items()}
    if per_type:
        lines.append("baselines by type (MRR@10): " + "; ".join(
            f"{name}: " + ", ".join(f"{k} {rep['types'].get(k, {}).get('MRR@10', 0):.2f}" for k in per_type)
            for name, rep in reports.items() if name != "danvan"))
    return "\n".join(lines)
