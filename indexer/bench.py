"""Speed benchmark: danvan's BM25 engine against rank-bm25, bm25s and SQLite FTS5, plus danvan end to end.

Corpora are synthetic but made of real Vietnamese: the texts of a corpus folder (default
../shared/corpus/docs beside the repository) are cut into sentences, and passages of 100-1000 characters are
recombined from them at random (seeded, so every run and every system sees the same passages). Questions
(5-15 words, some typed without accents) are cut from the same sentences and padded with common question
words. Nothing of that text is stored in the repository.

Every system is measured in its own subprocess, so its peak RSS is its own. The three Python BM25 systems
index the same analysis.terms tokens: the corpus is analysed once (per distinct sentence: analysis.terms is
segment-local, so a passage's terms are the concatenation of its sentences' terms, checked on a sample) and
written to a token file that each system reads; the cost of that analysis is measured separately, on a sample,
and shown as its own "analysis.terms" row. Query timings do include analysing the query.

Usage: danvan bench [--sizes 10000,100000,300000] [--queries 200] [--corpus DIR] [--json FILE] [--systems ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .analysis import fold, normalize, stopwords, terms

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (10_000, 100_000, 300_000)
DEFAULT_QUERIES = 200
DEFAULT_JSON = "bench-results.json"
ENGINE, RANK_BM25, BM25S, FTS5 = "danvan-engine", "rank-bm25", "bm25s", "sqlite-fts5"
E2E = "danvan-e2e"
ANALYSIS = "analysis.terms"
SYSTEMS = (ENGINE, RANK_BM25, BM25S, FTS5)
TOP_K = 10
MIN_CHARS, MAX_CHARS, MODE_CHARS = 100, 1000, 400
MAX_PIECE = 400  # sentences are cut to this; must stay below MAX_CHARS - MIN_CHARS
MIN_PIECE = 20
CONTINUE_PROB = 0.7  # chance that a passage's next sentence is the one that followed in the source text
ACCENT_FREE = 0.25  # share of questions typed without accents
EXACT_QUERIES = 5  # queries whose full score vectors are compared between the engine and rank-bm25
MIN_QUERIES = 20  # timed queries per system even past the time budget
ANALYSIS_SAMPLE = 5000  # passages analysed to measure analysis.terms throughput
PASSAGES_PER_DOC = 20
FTS5_TOKENIZER = "unicode61 remove_diacritics 2"
BM25S_METHOD = "robertson"

QUERY_TEMPLATES = (
    "{} là gì",
    "{} như thế nào",
    "{} được quy định như thế nào",
    "quy định về {}",
    "công tác {} của các cấp",
    "trách nhiệm của {}",
    "thế nào là {}",
    "{} gồm những nội dung gì",
    "ai có thẩm quyền {}",
    "{} và các tổ chức",
    "{}",
    "hướng dẫn {} và các quy định",
    "cho hỏi {}",
    "{} trong công tác dân vận",
    "nội dung {} là gì",
    "các {} của Mặt trận",
)

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n---[ \t]*\r?\n?", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+")
_LINE_MARKUP = re.compile(r"^[\s#>*|+\-]+")
_WORDS = re.compile(r"\w+(?:[/\-.,]\w+)*")


def default_corpus() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared/corpus/docs"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- synthetic corpus ----------------------------------------------------------------------------------------


def _chunks(sentence: str, max_len: int) -> list[str]:
    """A sentence cut at spaces into pieces of at most max_len characters."""
    out = []
    while len(sentence) > max_len:
        cut = sentence.rfind(" ", 0, max_len)
        cut = cut if cut > max_len // 2 else max_len
        out.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    if sentence:
        out.append(sentence)
    return out


def _terminated(piece: str) -> str:
    """End a piece with punctuation so that no bigram joins it to the next one in a passage."""
    return piece + "." if piece[-1].isalnum() or piece[-1] in "/-%_" else piece


def read_sentences(folder: Path, max_piece: int = MAX_PIECE) -> list[str]:
    """The distinct sentences (cut to max_piece characters) of the .md/.txt files under folder."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.suffix.lower() in (".md", ".txt"))
    seen: set[str] = set()
    out: list[str] = []
    for path in files:
        text = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8", errors="replace"), count=1)
        for line in text.splitlines():
            line = " ".join(_LINE_MARKUP.sub("", line).replace("|", " ").split())
            for sentence in _SENTENCE_END.split(line):
                for piece in _chunks(sentence, max_piece):
                    if len(piece) < MIN_PIECE or len(_WORDS.findall(piece)) < 3:
                        continue
                    piece = _terminated(piece)
                    if piece not in seen:
                        seen.add(piece)
                        out.append(piece)
    return out


def passage_plans(
    pieces: Sequence[str], n: int, seed: int = 0, min_chars: int = MIN_CHARS, max_chars: int = MAX_CHARS
) -> list[tuple[int, ...]]:
    """n passages as tuples of piece indices; each joined with spaces is min_chars..max_chars long."""
    if not pieces:
        raise ValueError("no sentences to build passages from")
    longest = max(len(p) for p in pieces)
    if longest >= max_chars - min_chars:
        raise ValueError(f"sentences must be shorter than {max_chars - min_chars} characters (got {longest})")
    rng = random.Random(seed)
    m = len(pieces)
    plans = []
    for _ in range(n):
        target = rng.triangular(min_chars, max_chars, MODE_CHARS)
        plan: list[int] = []
        length = -1
        j = rng.randrange(m)
        while length < target:
            size = len(pieces[j])
            if length + 1 + size > max_chars:
                break  # length >= max_chars - longest > min_chars here
            plan.append(j)
            length += 1 + size
            j = (j + 1) % m if rng.random() < CONTINUE_PROB else rng.randrange(m)
        plans.append(tuple(plan))
    return plans


def passage_text(pieces: Sequence[str], plan: Sequence[int]) -> str:
    return " ".join(pieces[i] for i in plan)


def make_passages(pieces: Sequence[str], n: int, seed: int = 0, min_chars: int = MIN_CHARS,
                  max_chars: int = MAX_CHARS) -> list[str]:
    return [passage_text(pieces, p) for p in passage_plans(pieces, n, seed, min_chars, max_chars)]


def make_queries(pieces: Sequence[str], n: int, seed: int = 1, accent_free: float = ACCENT_FREE) -> list[str]:
    """n questions of 5-15 words: a window of a random sentence inside a question template."""
    rng = random.Random(seed)
    candidates = [w for w in (_WORDS.findall(p) for p in pieces) if len(w) >= 3]
    if not candidates:
        raise ValueError("no sentences to build questions from")
    out: list[str] = []
    while len(out) < n:
        words = rng.choice(candidates)
        template = rng.choice(QUERY_TEMPLATES)
        extra = len(template.replace("{}", " ").split())
        lo, hi = max(2, 5 - extra), min(15 - extra, 10, len(words))
        if hi < lo:
            continue
        size = rng.randint(lo, hi)
        start = 0 if rng.random() < 0.4 else rng.randint(0, len(words) - size)  # often a sentence's opening
        q = template.format(" ".join(words[start:start + size]))
        if rng.random() < 0.6:
            q = q.lower()
        if rng.random() < 0.3:
            q += "?"
        if rng.random() < accent_free:
            q = fold(q)
        out.append(q)
    return out


def query_words(q: str) -> int:
    return len(_WORDS.findall(q))


def fts5_match(query: str) -> str:
    """The FTS5 MATCH expression of a question: its words minus stop-words, each quoted, joined with OR."""
    stop = stopwords()
    words = dict.fromkeys(w for w in re.findall(r"\w+", normalize(query).lower()) if fold(w) not in stop)
    return " OR ".join(f'"{w}"' for w in words)


# -- measurement helpers (used inside workers) ---------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _time_queries(run: Callable[[str], Sequence[int]], queries: Sequence[str], spec: dict
                  ) -> tuple[list[float], list[list[int]]]:
    """Per-query milliseconds after spec["warmup"] untimed queries; stops early once the timed queries
    have taken spec["budget"] seconds (but not before MIN_QUERIES of them)."""
    for q in queries[:spec["warmup"]]:
        run(q)
    budget_ms = (spec.get("budget") or float("inf")) * 1000
    times, tops = [], []
    for q in queries:
        t0 = time.perf_counter()
        top = run(q)
        times.append((time.perf_counter() - t0) * 1000)
        tops.append([int(i) for i in top])
        if len(times) >= MIN_QUERIES and sum(times) > budget_ms:
            break
    return times, tops


def _read_token_lists(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8") as fh:
        return [line.split() for line in fh]


# -- workers: one subprocess per system ----------------------------------------------------------------------


def _worker_engine(spec: dict) -> dict:
    import numpy as np

    from .engine import BM25Index, ForwardIndex, Vocabulary

    queries = spec["queries"]
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    vocab = Vocabulary()
    with open(spec["tokens"], encoding="utf-8") as fh:
        fwd = ForwardIndex.from_counts(vocab.encode(line.split()) for line in fh)
    index = BM25Index.from_forward(fwd, len(vocab))
    del fwd
    build = time.perf_counter() - t0

    def run(q: str):
        ids = [vocab.ids.get(t, -1) for t in terms(q)]
        return index.top(ids, TOP_K)[0]

    times, tops = _time_queries(run, queries, spec)
    if spec.get("scores_file"):
        vectors = [index.scores([vocab.ids.get(t, -1) for t in terms(q)]) for q in queries[:EXACT_QUERIES]]
        np.save(spec["scores_file"], np.stack(vectors))
    return {"build_s": build, "times_ms": times, "tops": tops, "baseline_rss_mb": baseline,
            "extra": {"terms": len(vocab), "postings": int(len(index.pids))}}


def _worker_rank_bm25(spec: dict) -> dict:
    import numpy as np
    from rank_bm25 import BM25Okapi

    queries = spec["queries"]
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    bm = BM25Okapi(_read_token_lists(spec["tokens"]))
    build = time.perf_counter() - t0

    def run(q: str):
        return np.argsort(bm.get_scores(terms(q)))[::-1][:TOP_K]

    times, tops = _time_queries(run, queries, spec)
    if spec.get("scores_file"):
        np.save(spec["scores_file"], np.stack([bm.get_scores(terms(q)) for q in queries[:EXACT_QUERIES]]))
    return {"build_s": build, "times_ms": times, "tops": tops, "baseline_rss_mb": baseline}


def _worker_bm25s(spec: dict) -> dict:
    import bm25s

    queries = spec["queries"]
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    retriever = bm25s.BM25(method=BM25S_METHOD)
    retriever.index(_read_token_lists(spec["tokens"]), show_progress=False)
    build = time.perf_counter() - t0
    k = min(TOP_K, spec["n_passages"])

    def run(q: str):
        docs, _ = retriever.retrieve([terms(q)], k=k, show_progress=False)
        return docs[0]

    times, tops = _time_queries(run, queries, spec)
    return {"build_s": build, "times_ms": times, "tops": tops, "baseline_rss_mb": baseline,
            "extra": {"bm25s_version": bm25s.__version__, "method": BM25S_METHOD,
                      "backend": getattr(retriever, "backend", "numpy")}}


def _worker_fts5(spec: dict) -> dict:
    queries = spec["queries"]
    db_path = Path(spec["workdir"]) / "fts5.sqlite"
    db_path.unlink(missing_ok=True)
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize = '{FTS5_TOKENIZER}')")
    with open(spec["passages_file"], encoding="utf-8") as fh, conn:
        conn.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)",
                         ((i + 1, line.rstrip("\n")) for i, line in enumerate(fh)))
        conn.execute("INSERT INTO t(t) VALUES ('optimize')")
    build = time.perf_counter() - t0
    sql = f"SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t) LIMIT {TOP_K}"

    def run(q: str):
        match = fts5_match(q)
        return [r[0] - 1 for r in conn.execute(sql, (match,))] if match else []

    times, tops = _time_queries(run, queries, spec)
    conn.close()
    size = db_path.stat().st_size
    db_path.unlink()
    return {"build_s": build, "times_ms": times, "tops": tops, "baseline_rss_mb": baseline,
            "extra": {"sqlite_version": sqlite3.sqlite_version, "db_mb": size / 2**20}}


def _worker_analysis(spec: dict) -> dict:
    """analysis.terms throughput on a sample of passages, and its cost per query."""
    sample = []
    with open(spec["passages_file"], encoding="utf-8") as fh:
        for line in fh:
            sample.append(line.rstrip("\n"))
            if len(sample) >= ANALYSIS_SAMPLE:
                break
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    n_terms = sum(len(terms(p)) for p in sample)
    elapsed = time.perf_counter() - t0
    times, _ = _time_queries(lambda q: [len(terms(q))], spec["queries"], spec)
    per_passage = elapsed / max(1, len(sample))
    return {"build_s": per_passage * spec["n_passages"], "times_ms": times, "tops": [],
            "baseline_rss_mb": baseline,
            "extra": {"sample": len(sample), "passages_per_s": len(sample) / elapsed if elapsed else None,
                      "chars_per_s": sum(map(len, sample)) / elapsed if elapsed else None,
                      "terms_per_passage": n_terms / max(1, len(sample))}}


def _worker_e2e_build(spec: dict) -> dict:
    from . import store

    knowledge, db = Path(spec["knowledge"]), Path(spec["db"])
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    report = store.build(knowledge, db)
    build = time.perf_counter() - t0
    extra_doc = knowledge / "zz-bench-extra.md"
    shutil.copyfile(spec["extra_doc"], extra_doc)
    t0 = time.perf_counter()
    added = store.build(knowledge, db)
    add = time.perf_counter() - t0
    extra_doc.unlink()
    t0 = time.perf_counter()
    removed = store.build(knowledge, db)
    remove = time.perf_counter() - t0
    return {"build_s": build, "times_ms": [], "tops": [], "baseline_rss_mb": baseline,
            "extra": {"documents": report.documents, "index_passages": report.passages,
                      "errors": len(report.errors) + len(added.errors) + len(removed.errors),
                      "first_error": (report.errors or added.errors or removed.errors or [None])[0],
                      "added": len(added.added), "removed": len(removed.removed),
                      "add_doc_s": add, "remove_doc_s": remove, "db_mb": db.stat().st_size / 2**20}}


def _worker_e2e_serve(spec: dict) -> dict:
    from .search import Searcher

    queries = spec["queries"]
    baseline = peak_rss_mb()
    t0 = time.perf_counter()
    searcher = Searcher(spec["db"])
    opened = time.perf_counter() - t0
    t0 = time.perf_counter()
    searcher.search(queries[0], k=TOP_K)
    first = (time.perf_counter() - t0) * 1000

    def run(q: str):
        return [h.passage_id for h in searcher.search(q, k=TOP_K).hits]

    times, _ = _time_queries(run, queries, spec)
    return {"build_s": opened, "times_ms": times, "tops": [], "baseline_rss_mb": baseline,
            "extra": {"first_query_ms": first}}


WORKERS: dict[str, Callable[[dict], dict]] = {
    ENGINE: _worker_engine, RANK_BM25: _worker_rank_bm25, BM25S: _worker_bm25s, FTS5: _worker_fts5,
    ANALYSIS: _worker_analysis, "e2e-build": _worker_e2e_build, "e2e-serve": _worker_e2e_serve,
}


def worker_main(argv: Sequence[str]) -> int:
    """Entry point of a measuring subprocess: argv = [spec.json]; writes its result to spec["out"]."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    spec["queries"] = json.loads(Path(spec["queries_file"]).read_text(encoding="utf-8"))[: spec["n_queries"]]
    result = WORKERS[spec["system"]](spec)
    result["peak_rss_mb"] = peak_rss_mb()
    Path(spec["out"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


_WORKER_CMD = "import sys; from indexer.bench import worker_main; sys.exit(worker_main(sys.argv[1:]))"


def run_worker(system: str, workdir: Path, **spec) -> dict:
    """Run one measurement in a fresh interpreter; returns its result, or {"error": ...}."""
    spec_path = workdir / f"spec-{system}.json"
    out = workdir / f"result-{system}.json"
    out.unlink(missing_ok=True)
    spec_path.write_text(json.dumps({"system": system, "workdir": str(workdir), "out": str(out), **spec}),
                         encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _WORKER_CMD, str(spec_path)], env=env,
                          stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not out.exists():
        return {"error": f"worker exited with status {proc.returncode}", "wall_s": wall}
    result = json.loads(out.read_text(encoding="utf-8"))
    result["wall_s"] = wall
    return result


# -- orchestration -------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        mult = 1
        if part[-1] in "km":
            mult, part = (1000 if part[-1] == "k" else 1_000_000), part[:-1]
        value = int(float(part) * mult)
        if value < TOP_K:
            raise argparse.ArgumentTypeError(f"size {value} is below {TOP_K}")
        sizes.append(value)
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def e2e_available() -> bool:
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("indexer.store", "indexer.search"))
    except ImportError:
        return False


def _write_corpus_files(workdir: Path, pieces: list[str], plans: list[tuple[int, ...]],
                        token_cache: dict[int, str]) -> bool:
    """passages.txt and tokens.txt (one passage per line); False if the per-sentence analysis shortcut
    did not reproduce analysis.terms on a sample (then every passage was analysed in full)."""
    for i in {i for plan in plans for i in plan} - token_cache.keys():
        token_cache[i] = " ".join(terms(pieces[i]))
    rng = random.Random(len(plans))
    exact = all(
        terms(passage_text(pieces, plan)) == " ".join(token_cache[i] for i in plan).split()
        for plan in rng.sample(plans, min(200, len(plans)))
    )
    if not exact:
        log("  warning: per-sentence analysis differs from analysing whole passages; analysing in full")
    with open(workdir / "passages.txt", "w", encoding="utf-8") as ph, \
            open(workdir / "tokens.txt", "w", encoding="utf-8") as th:
        for plan in plans:
            text = passage_text(pieces, plan)
            ph.write(text + "\n")
            if exact:
                th.write(" ".join(filter(None, (token_cache[i] for i in plan))) + "\n")
            else:
                th.write(" ".join(terms(text)) + "\n")
    return exact


def _write_knowledge(folder: Path, pieces: list[str], plans: list[tuple[int, ...]]) -> int:
    """Passages as small .md documents, PASSAGES_PER_DOC each, every passage under its own heading so the
    splitter keeps it as one passage. Returns the number of documents."""
    n_docs = 0
    for start in range(0, len(plans), PASSAGES_PER_DOC):
        d = start // PASSAGES_PER_DOC
        sub = folder / f"part-{d // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        blocks = [f"## Đoạn {start + i + 1}\n\n{passage_text(pieces, plan)}"
                  for i, plan in enumerate(plans[start:start + PASSAGES_PER_DOC])]
        (sub / f"tai-lieu-{d:05d}.md").write_text(f"# Tài liệu thử {d}\n\n" + "\n\n".join(blocks) + "\n",
                                                  encoding="utf-8")
        n_docs += 1
    return n_docs


def _max_rel_diff(a_file: Path, b_file: Path) -> float | None:
    import numpy as np

    if not (a_file.exists() and b_file.exists()):
        return None
    a, b = np.load(a_file), np.load(b_file)
    if a.shape != b.shape:
        return float("inf")
    scale = np.maximum(np.abs(a), np.abs(b))
    nz = scale > 0
    return float((np.abs(a - b)[nz] / scale[nz]).max()) if nz.any() else 0.0


def _overlap(tops: list[list[int]], ref: list[list[int]]) -> float | None:
    pairs = [(set(t), set(r)) for t, r in zip(tops, ref, strict=False) if r]
    if not pairs:
        return None
    return sum(len(t & r) / len(r) for t, r in pairs) / len(pairs)


def _row(system: str, size: int, result: dict | None, notes: list[str]) -> dict:
    row = {"system": system, "passages": size, "build_s": None, "p50_ms": None, "p99_ms": None,
           "peak_rss_mb": None, "baseline_rss_mb": None, "queries": 0, "notes": notes}
    if result is None:
        row["skipped"] = True
        return row
    if "error" in result:
        row["error"] = result["error"]
        notes.append("FAILED: " + result["error"])
        return row
    times = result["times_ms"]
    row.update(build_s=result["build_s"], p50_ms=percentile(times, 50) if times else None,
               p99_ms=percentile(times, 99) if times else None, peak_rss_mb=result["peak_rss_mb"],
               baseline_rss_mb=result["baseline_rss_mb"], queries=len(times), wall_s=result["wall_s"],
               **result.get("extra", {}))
    return row


def bench_size(size: int, args, pieces: list[str], queries: list[str], token_cache: dict[int, str],
               systems: list[str], workroot: Path) -> tuple[list[dict], dict | None, dict | None]:
    """Measure every selected system on one corpus size: (system rows, analysis row, end-to-end row)."""
    workdir = workroot / f"n{size}"
    workdir.mkdir()
    t0 = time.perf_counter()
    plans = passage_plans(pieces, size, args.seed)
    exact_shortcut = _write_corpus_files(workdir, pieces, plans, token_cache)
    queries_file = workdir / "queries.json"
    queries_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    log(f"[{size}] corpus written in {time.perf_counter() - t0:.1f} s")
    spec = {"passages_file": str(workdir / "passages.txt"), "tokens": str(workdir / "tokens.txt"),
            "n_passages": size, "queries_file": str(queries_file), "warmup": args.warmup,
            "budget": args.query_budget}

    def measure(system: str, n_queries: int, **more) -> dict:
        result = run_worker(system, workdir, **{**spec, "n_queries": n_queries, **more})
        if "error" in result:
            log(f"[{size}] {system}: {result['error']}")
        else:
            times = result["times_ms"]
            p50 = f", p50 {percentile(times, 50):.3f} ms" if times else ""
            log(f"[{size}] {system}: build {result['build_s']:.2f} s{p50}, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB ({result['wall_s']:.1f} s wall)")
        return result

    analysis = _row(ANALYSIS, size, measure(ANALYSIS, args.queries), [])
    if analysis.get("sample"):
        analysis["notes"] += [
            f"shared tokenizer: {analysis['passages_per_s']:.0f} passages/s "
            f"({analysis['chars_per_s'] / 1e6:.2f} M chars/s) on {analysis['sample']} passages, "
            "build s extrapolated; not included in the build s of the rows below; "
            "p50/p99 = analysing a query"]
    analysis["exact_shortcut"] = exact_shortcut

    rows: dict[str, dict] = {}
    results: dict[str, dict] = {}
    for system in systems:
        if system == E2E:
            continue
        notes: list[str] = []
        n_queries = args.queries
        more: dict = {}
        if system == RANK_BM25:
            if size > args.rank_bm25_max_size:
                rows[system] = _row(system, size, None,
                                    [f"skipped: slow above {args.rank_bm25_max_size} passages "
                                     "(--rank-bm25-max-size)"])
                continue
            n_queries = min(args.queries, args.rank_bm25_queries)
            more["warmup"] = min(args.warmup, 2)
            notes.append(f"{n_queries} queries only (slow)")
        if system in (ENGINE, RANK_BM25):
            more["scores_file"] = str(workdir / f"scores-{system}.npy")
        result = measure(system, n_queries, **more)
        results[system] = result
        if 0 < len(result.get("times_ms", ())) < n_queries:
            notes.append(f"{len(result['times_ms'])} of {n_queries} queries (--query-budget)")
        if system == ENGINE:
            notes.append("analysis.terms tokens; query = terms + exact threshold top-k (bincount of the rarer terms, "
                         "dense rows only where the bound reaches the k-th score)")
        elif system == BM25S:
            extra = result.get("extra", {})
            notes.append(f"bm25s {extra.get('bm25s_version', '?')} method={BM25S_METHOD}, float32, "
                         f"{extra.get('backend', 'numpy')} backend, same tokens")
        elif system == RANK_BM25:
            notes.append("BM25Okapi, same tokens, argsort top 10")
        elif system == FTS5:
            notes.append(f"tokenize='{FTS5_TOKENIZER}' (đ not folded), words minus stop-words OR-ed, "
                         f"file DB {result.get('extra', {}).get('db_mb', 0):.0f} MB, optimized")
        rows[system] = _row(system, size, result, notes)

    engine_tops = results.get(ENGINE, {}).get("tops")
    if engine_tops:
        for system, result in results.items():
            if system != ENGINE and result.get("tops"):
                rows[system]["top10_overlap_vs_engine"] = _overlap(result["tops"], engine_tops)
    if ENGINE in rows and RANK_BM25 in results and "error" not in results[RANK_BM25]:
        diff = _max_rel_diff(workdir / f"scores-{ENGINE}.npy", workdir / f"scores-{RANK_BM25}.npy")
        rows[ENGINE]["max_rel_diff_vs_rank_bm25"] = diff
        if diff is not None:
            rows[ENGINE]["notes"].append(
                f"max rel. score diff vs rank-bm25 {diff:.1e} ({EXACT_QUERIES} queries)")
    _add_ratios(rows)

    e2e = None
    if E2E in systems and size > args.e2e_max_size:
        e2e = {"system": E2E, "passages": size, "skipped": True,
               "notes": [f"skipped above {args.e2e_max_size} passages (--e2e-max-size)"]}
    elif E2E in systems:
        e2e = bench_e2e(size, args, pieces, plans, workdir, measure)
    shutil.rmtree(workdir, ignore_errors=True)
    return [rows[s] for s in systems if s in rows], analysis, e2e


def _add_ratios(rows: dict[str, dict]) -> None:
    rank = rows.get(RANK_BM25, {}).get("p50_ms")
    bm = rows.get(BM25S, {}).get("p50_ms")
    for row in rows.values():
        p50 = row.get("p50_ms")
        row["x_vs_rank_bm25"] = rank / p50 if rank and p50 else None
        row["vs_bm25s"] = p50 / bm if bm and p50 else None


def bench_e2e(size: int, args, pieces: list[str], plans: list[tuple[int, ...]], workdir: Path,
              measure: Callable[..., dict]) -> dict:
    knowledge = workdir / "knowledge"
    n_docs = _write_knowledge(knowledge, pieces, plans)
    extra_plans = passage_plans(pieces, PASSAGES_PER_DOC, args.seed + 7919)
    extra_doc = workdir / "extra.md"
    blocks = [f"## Mục {i + 1}\n\n{passage_text(pieces, p)}" for i, p in enumerate(extra_plans)]
    extra_doc.write_text("# Tài liệu bổ sung\n\n" + "\n\n".join(blocks) + "\n", encoding="utf-8")
    db = workdir / "index.sqlite"
    built = measure("e2e-build", 0, knowledge=str(knowledge), db=str(db), extra_doc=str(extra_doc))
    row = {"system": E2E, "passages": size, "documents": n_docs, "notes": []}
    if "error" in built:
        row["error"] = built["error"]
        row["notes"].append("FAILED build: " + built["error"])
        return row
    extra = built["extra"]
    row.update(build_s=built["build_s"], build_peak_rss_mb=built["peak_rss_mb"], add_doc_s=extra["add_doc_s"],
               remove_doc_s=extra["remove_doc_s"], index_passages=extra["index_passages"],
               db_mb=extra["db_mb"], errors=extra["errors"])
    if extra["errors"]:
        row["notes"].append(f"{extra['errors']} build errors, first: {extra['first_error']}")
    if extra["added"] != 1 or extra["removed"] != 1:
        row["notes"].append(
            f"incremental build saw {extra['added']} added, {extra['removed']} removed (expected 1)")
    served = measure("e2e-serve", args.queries, db=str(db))
    if "error" in served:
        row["error"] = served["error"]
        row["notes"].append("FAILED serve: " + served["error"])
        return row
    times = served["times_ms"]
    if len(times) < args.queries:
        row["notes"].append(f"{len(times)} of {args.queries} queries (--query-budget)")
    row.update(open_s=served["build_s"], p50_ms=percentile(times, 50), p99_ms=percentile(times, 99),
               peak_rss_mb=served["peak_rss_mb"], baseline_rss_mb=served["baseline_rss_mb"],
               queries=len(times),
               first_query_ms=served["extra"]["first_query_ms"])
    row["notes"].append(f"{extra['index_passages']} passages indexed, DB {extra['db_mb']:.0f} MB, "
                        f"build peak RSS {built['peak_rss_mb']:.0f} MB, "
                        f"first query {row['first_query_ms']:.1f} ms")
    return row


# -- output --------------------------------------------------------------------------------------------------


def _fmt(value, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width, r in zip(cells, widths, right, strict=True):
            out.append(cell.rjust(width) if r else cell.ljust(width))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])


TARGET_SIZE = 100_000


def check_targets(report: dict) -> list[dict]:
    """The issue's targets, checked on the largest measured size up to TARGET_SIZE passages."""
    sizes = [s for s in report["meta"]["sizes"] if s <= TARGET_SIZE]
    if not sizes:
        return []
    size = max(sizes)
    rows = {r["system"]: r for r in report["results"] if r["passages"] == size}
    e2e = next((r for r in report["e2e"] if r["passages"] == size and not r.get("skipped")), {})
    engine = rows.get(ENGINE, {})
    checks = [
        ("engine query p50 <= 1 ms", engine.get("p50_ms"), lambda v: v <= 1, "{:.3f} ms"),
        ("engine query p99 <= 5 ms", engine.get("p99_ms"), lambda v: v <= 5, "{:.3f} ms"),
        (">= 300x faster than rank-bm25", engine.get("x_vs_rank_bm25"), lambda v: v >= 300, "{:.0f}x"),
        ("within 2x of bm25s", engine.get("vs_bm25s"), lambda v: v <= 2, "{:.2f}x"),
        ("index build <= 60 s (end to end)", e2e.get("build_s"), lambda v: v <= 60, "{:.1f} s"),
        ("open and ready <= 2 s", e2e.get("open_s"), lambda v: v <= 2, "{:.2f} s"),
        ("serving RSS <= 400 MB", e2e.get("peak_rss_mb"), lambda v: v <= 400, "{:.0f} MB"),
        ("add one document <= 5 s", e2e.get("add_doc_s"), lambda v: v <= 5, "{:.2f} s"),
        ("remove one document <= 5 s", e2e.get("remove_doc_s"), lambda v: v <= 5, "{:.2f} s"),
    ]
    return [{"target": name, "passages": size, "value": value,
             "measured": fmt.format(value) if value is not None else "not measured",
             "holds": value is not None and ok(value)} for name, value, ok, fmt in checks]


def render(report: dict) -> str:
    meta = report["meta"]
    parts = [
        f"danvan bench: {meta['pieces']} sentences from {meta['corpus']} ({meta['files']} files), "
        f"{meta['queries']} questions (5-15 words, ~{int(ACCENT_FREE * 100)}% without accents), "
        f"seed {meta['seed']}",
        f"{meta['machine']}; top {TOP_K}; p50/p99 over single queries after {meta['warmup']} warm-up "
        "queries; each system in its own process (peak RSS includes the interpreter).",
        "",
    ]
    headers = ["system", "passages", "build s", "p50 ms", "p99 ms", "peak RSS MB", "x vs rank-bm25",
               "vs bm25s", "notes"]
    right = [False, True, True, True, True, True, True, True, False]
    rows = []
    for size in meta["sizes"]:
        group = [r for r in report["analysis"] if r["passages"] == size]
        group += [r for r in report["results"] if r["passages"] == size]
        for r in group:
            if r.get("skipped"):
                cells = ["skipped"] * 4 + ["", ""]
            else:
                cells = [_fmt(r["build_s"], ".2f"), _fmt(r["p50_ms"], ".3f"), _fmt(r["p99_ms"], ".3f"),
                         _fmt(r["peak_rss_mb"], ".0f"), _fmt(r.get("x_vs_rank_bm25"), ".1f") + "x"
                         if r.get("x_vs_rank_bm25") else "", _fmt(r.get("vs_bm25s"), ".2f") + "x"
                         if r.get("vs_bm25s") else ""]
            notes = list(r["notes"])
            if r.get("top10_overlap_vs_engine") is not None:
                notes.append(f"top-10 overlap with engine {r['top10_overlap_vs_engine']:.0%}")
            rows.append([r["system"], f"{size:,}", *cells, "; ".join(notes)])
    parts.append(format_table(headers, rows, right))
    parts += ["", "x vs rank-bm25 = rank-bm25 p50 / this p50; vs bm25s = this p50 / bm25s p50 (<1 = faster).",
              "build s of the three Python systems = reading the shared token file + indexing; the analysis "
              "itself is the analysis.terms row."]
    if report["e2e"]:
        parts += ["", "danvan end-to-end (store.build on .md files; Searcher.search with query parsing, "
                  "boosts, duplicate collapsing, snippets)"]
        headers = ["passages", "docs", "build s", "open s", "p50 ms", "p99 ms", "serve RSS MB", "add doc s",
                   "remove doc s", "notes"]
        right = [True] * 9 + [False]
        rows = []
        for r in report["e2e"]:
            if r.get("skipped"):
                rows.append([f"{r['passages']:,}", "-", *["skipped"] * 7, "; ".join(r["notes"])])
                continue
            rows.append([f"{r['passages']:,}", f"{r.get('documents', 0):,}", _fmt(r.get("build_s"), ".1f"),
                         _fmt(r.get("open_s"), ".2f"), _fmt(r.get("p50_ms"), ".3f"),
                         _fmt(r.get("p99_ms"), ".3f"),
                         _fmt(r.get("peak_rss_mb"), ".0f"), _fmt(r.get("add_doc_s"), ".2f"),
                         _fmt(r.get("remove_doc_s"), ".2f"), "; ".join(r["notes"])])
        parts.append(format_table(headers, rows, right))
    if report.get("targets"):
        parts += ["", "targets (issue 3, at the largest size measured up to 100,000 passages)"]
        parts.append(format_table(
            ["target", "passages", "measured", "holds"],
            [[t["target"], f"{t['passages']:,}", t["measured"], "holds" if t["holds"] else "MISSES"]
             for t in report["targets"]], [False, True, True, False]))
    parts.append(f"\ntotal {meta['seconds']:.0f} s")
    return "\n".join(parts)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="danvan bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES),
                   help="passages per corpus, comma-separated (default 10000,100000,300000)")
    p.add_argument("--queries", type=int, default=DEFAULT_QUERIES, help="timed questions per system")
    p.add_argument("--corpus", type=Path, default=None, help="folder of real .md/.txt texts to recombine")
    p.add_argument("--json", default=DEFAULT_JSON, help=f"write results here (default {DEFAULT_JSON})")
    p.add_argument("--systems", nargs="+", default=None,
                   help=f"any of {', '.join((*SYSTEMS, E2E))} (comma or space separated; default all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=5, help="untimed warm-up queries per system")
    p.add_argument("--rank-bm25-max-size", type=int, default=100_000,
                   help="skip rank-bm25 above this many passages (default 100000)")
    p.add_argument("--rank-bm25-queries", type=int, default=20, help="timed questions for rank-bm25")
    p.add_argument("--e2e-max-size", type=int, default=100_000,
                   help="skip the end-to-end run above this many passages (default 100000; a 300000-passage "
                        "build takes about 7 minutes on 2 cores)")
    p.add_argument("--query-budget", type=float, default=30.0,
                   help=f"stop timing a system's queries after this many seconds (at least {MIN_QUERIES} "
                        "queries; default 30)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        log(f"danvan bench: corpus folder not found: {corpus} (give one with --corpus DIR)")
        return 2
    if args.queries < 1:
        log("danvan bench: --queries must be at least 1")
        return 2
    if args.systems:
        systems = [s for part in args.systems for s in part.split(",") if s]
        unknown = [s for s in systems if s not in (*SYSTEMS, E2E)]
        if unknown:
            log(f"danvan bench: unknown system(s) {', '.join(unknown)}; "
                f"choose from {', '.join((*SYSTEMS, E2E))}")
            return 2
        if E2E in systems and not e2e_available():
            log("danvan bench: indexer.store / indexer.search are not available for the end-to-end run")
            return 2
    else:
        systems = [*SYSTEMS, *([E2E] if e2e_available() else [])]
        if E2E not in systems:
            log("danvan bench: indexer.store / indexer.search not available, end-to-end figures skipped")
    pieces = read_sentences(corpus)
    if not pieces:
        log(f"danvan bench: no usable .md/.txt text in {corpus}")
        return 2
    queries = make_queries(pieces, args.queries, args.seed + 1)
    files = sum(1 for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in (".md", ".txt"))
    log(f"{len(pieces)} sentences from {files} files; {len(queries)} questions; sizes {args.sizes}; "
        f"systems {', '.join(systems)}")
    report: dict = {"meta": {
        "corpus": str(corpus), "files": files, "pieces": len(pieces), "queries": len(queries),
        "seed": args.seed,
        "sizes": args.sizes, "systems": systems, "warmup": args.warmup,
        "rank_bm25_max_size": args.rank_bm25_max_size, "rank_bm25_queries": args.rank_bm25_queries,
        "e2e_max_size": args.e2e_max_size, "query_budget_s": args.query_budget,
        "bm25s_method": BM25S_METHOD, "fts5_tokenizer": FTS5_TOKENIZER,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
                   f"SQLite {sqlite3.sqlite_version}",
        "sample_queries": queries[:5],
    }, "results": [], "analysis": [], "e2e": []}
    token_cache: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="danvan-bench-") as tmp:
        for size in args.sizes:
            rows, analysis, e2e = bench_size(size, args, pieces, queries, token_cache, systems, Path(tmp))
            report["results"] += rows
            if analysis:
                report["analysis"].append(analysis)
            if e2e:
                report["e2e"].append(e2e)
    report["targets"] = check_targets(report)
    report["meta"]["seconds"] = time.perf_counter() - started
    print(render(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        log(f"results written to {args.json}")
    failed = [r for r in (*report["results"], *report["analysis"], *report["e2e"]) if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
