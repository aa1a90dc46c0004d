"""Searching the index: BM25 plus what the question itself says (document numbers, years, types),
near-duplicate collapsing, snippets with matched words, and a low-confidence flag."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import query as query_mod
from . import rerank as rerank_mod
from .analysis import SENTENCE_BREAK, fold, folded_words, has_diacritics, normalize, raw_tokens, terms
from .engine import BM25Index
from .store import load_array, load_postings, load_vocabulary
from .visibility import INTERNAL, PUBLIC, RESTRICTED, Viewer

# Boosts: multiplicative, so they reorder close candidates and never hide a strong answer.
REF_BOOST = 1.0  # passages of a document the question names by number
ARTICLE_BOOST = 1.0  # passages of an article the question names ("Điều 15")
ARTICLE_POOL = 200  # candidates looked at for it
YEAR_BOOST = 0.15  # documents of a year the question names
TYPE_BOOST = 0.10  # documents of a type the question names ("nghị định", "kế hoạch")
DUPLICATE_JACCARD = 0.8
REPEATS = 0.8  # of the smaller passage's words in the other: the same text, cut elsewhere, in another document
CONFIDENT_COVERAGE = 0.4
CANDIDATES = 10  # extra candidates read, so collapsed duplicates can be replaced
SCOPE_WITHIN = 40  # a document's scope article is looked for among its first passages


@dataclass
class DocumentInfo:
    id: str
    title: str
    number: str | None
    type: str | None
    issuer: str | None
    issued: str | None
    year: int | None
    source: str | None
    aliases: list[str]
    visibility: str | None  # effective: public, internal or restricted
    audience: list[str]  # effective, for restricted documents
    n_passages: int
    indexed_at: float
    path: str = ""
    level: int = INTERNAL
    ocr: bool = False  # read from a scan by OCR


@dataclass
class Hit:
    passage_id: int
    doc: str
    title: str
    number: str | None
    issued: str | None
    heading: str
    text: str
    snippet: str
    score: float
    position: int = 0
    source: str | None = None
    marks: list[tuple[int, int]] = field(default_factory=list)  # matched spans inside snippet
    visibility: str = "public"
    ocr: bool = False  # the passage was read from a scan by OCR

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("marks")
        d["score"] = round(self.score, 4)
        return d


@dataclass
class Result:
    query: str
    hits: list[Hit]
    confident: bool
    total: int = 0  # candidates found before cutting to k

    def to_json(self) -> dict:
        return {"query": self.query, "hits": [h.to_json() for h in self.hits], "confident": self.confident}


class Searcher:
    """An open index. Thread-safe for searching; reload() picks up a rebuilt index file."""

    def __init__(self, db_path: Path | str, abbreviations: query_mod.Abbreviations | None = None,
                 synonyms: query_mod.Synonyms | None = None):
        self.db_path = Path(db_path)
        self.abbreviations = abbreviations
        self.synonyms = synonyms
        self._lock = threading.Lock()
        self._load()

    # -- loading -----------------------------------------------------------------------------------------
    def _load(self) -> None:
        if not self.db_path.exists():
            raise FileNotFoundError(f"chưa có chỉ mục: {self.db_path}")
        stat = self.db_path.stat()
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, check_same_thread=False)
        vocab = load_vocabulary(conn)
        index = BM25Index.from_postings(load_postings(conn))
        docs = []
        columns = {r[1] for r in conn.execute("PRAGMA table_info(documents)")}
        level = "level" if "level" in columns else "NULL"  # an index from before levels: closed until rebuilt
        ocr = "ocr" if "ocr" in columns else "0"
        for row in conn.execute(
            "SELECT id, title, number, type, issuer, issued, year, source, aliases, visibility, audience, "
            f"n_passages, indexed_at, path, {level}, {ocr} FROM documents ORDER BY id"
        ):
            closed = row[14] is None
            docs.append(DocumentInfo(*row[:8], json.loads(row[8] or "[]"), "restricted" if closed else row[9],
                                     [] if closed else json.loads(row[10] or "[]"), row[11], row[12], row[13] or "",
                                     RESTRICTED if closed else row[14], bool(row[15])))
        # Visibility per passage: int8 level and int32 audience-set id (the document's, like the passages table).
        audience_sets = sorted({tuple(d.audience) for d in docs if d.level == RESTRICTED})
        set_id = {a: i for i, a in enumerate(audience_sets)}
        doc_level = np.array([d.level for d in docs], np.int8)
        doc_audience = np.array([set_id.get(tuple(d.audience), -1) if d.level == RESTRICTED else -1 for d in docs],
                                np.int32)
        with self._lock:
            old = getattr(self, "_conn", None)
            self._conn = conn
            self._stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            self.vocab = vocab
            self.index = index
            self.passage_ids = load_array(conn, "passage_ids", np.int64)
            self.passage_doc = load_array(conn, "passage_doc", np.int32)
            self.passage_level = doc_level[self.passage_doc] if len(docs) else np.zeros(0, np.int8)
            self.passage_audience = doc_audience[self.passage_doc] if len(docs) else np.zeros(0, np.int32)
            self._audience_sets = audience_sets
            self._masks: dict[Viewer, np.ndarray | None] = {}
            self.documents = docs
            self.by_id = {d.id: i for i, d in enumerate(docs)}
            self._doc_year = np.array([d.year or -1 for d in docs], np.int64)
            self._doc_type = np.array([d.type or "" for d in docs], object)
            self._by_number: dict[str, list[int]] = {}
            for i, d in enumerate(docs):
                ref = query_mod.parse_number(d.number) if d.number else None
                if ref:
                    self._by_number.setdefault(ref.number.lstrip("0"), []).append(i)
        if old is not None:
            old.close()

    def changed_on_disk(self) -> bool:
        try:
            stat = self.db_path.stat()
        except FileNotFoundError:
            return False
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size) != self._stamp

    def reload(self) -> bool:
        """Reload if the index file was replaced; True when it was."""
        if self.changed_on_disk():
            self._load()
            return True
        return False

    # -- searching ----------------------------------------------------------------------------------------
    def boost(self, q: query_mod.Query) -> np.ndarray | None:
        """Per-passage multipliers from what the question names (documents, years, types), or None."""
        if not (q.refs or q.years or q.types) or not self.documents:
            return None
        factor = np.ones(len(self.documents))
        factor[self.named_documents(q.refs)] += REF_BOOST
        if q.years:
            factor[np.isin(self._doc_year, q.years)] += YEAR_BOOST
        if q.types:
            factor[np.isin(self._doc_type, q.types)] += TYPE_BOOST
        return factor[self.passage_doc]

    def _articles_first(self, articles: list[str], order: np.ndarray, values: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """The candidates rescored: those under the heading of an article the question names ("Điều 15") count
        1 + ARTICLE_BOOST times. (Only candidates are looked at: the article's own heading words, indexed with
        it, bring it among them.)"""
        if not len(order):
            return order, values
        pids = [int(self.passage_ids[i]) for i in order]
        marks = ",".join("?" * len(pids))
        headings = dict(self._conn.execute(f"SELECT id, heading FROM passages WHERE id IN ({marks})", pids))
        values = values * np.array([1 + ARTICLE_BOOST if _is_article(headings.get(p) or "", articles) else 1.0
                                    for p in pids])
        best = np.lexsort((order, -values))
        return order[best], values[best]

    def _asked_article(self, q: query_mod.Query, best: Hit) -> bool:
        """Is the best passage the article the question asks for by number ("Điều 36 Luật 10/2022 quy định gì"), of
        a document it names, if it names any?"""
        if not q.articles or not _is_article(best.heading, q.articles):
            return False
        return not q.refs or self.by_id[best.doc] in self.named_documents(q.refs)

    def named_documents(self, refs: list[query_mod.DocRef]) -> list[int]:
        """Indices of the documents whose số hiệu fits one of the references."""
        found = []
        for ref in refs:
            for i in self._by_number.get(ref.number.lstrip("0"), ()):
                d = self.documents[i]
                if query_mod.ref_matches(ref, d.number, d.type, d.year) and i not in found:
                    found.append(i)
        return found

    def _idf(self, term: str) -> float:
        tid = self.vocab.get(term, -1)
        return float(self.index.idf[tid]) if tid >= 0 else 0.0

    def _in_document(self, term: str, doc_id: str) -> bool:
        """Does any passage of the document, or its file's name, hold the term?"""
        d = self.by_id[doc_id]
        if term in {p for p in terms(doc_id.replace("-", " ").replace("_", " ")) if "_" in p}:
            return True
        tid = self.vocab.get(term, -1)
        if tid < 0:
            return False
        pids = self.index.pids[self.index.indptr[tid]:self.index.indptr[tid + 1]]
        return bool((self.passage_doc[pids] == d).any())

    def _df(self, term: str) -> int:
        tid = self.vocab.get(term, -1)
        return int(self.index.indptr[tid + 1] - self.index.indptr[tid]) if tid >= 0 else 0

    def correct(self, q: query_mod.Query) -> None:
        """Typo tolerance: a syllable that no passage contains ("thonn") gains the known spelling one edit away
        that passages most often hold beside the question's neighbouring words ("trưởng thônn" -> "thon", as in
        "trưởng thôn", not the more frequent "thong"), else the most frequent one; the typed form stays in the
        query, and the pairs the spelling makes with its neighbours ("truong_thon") are added too."""
        added: dict[str, str] = {}
        pairs = [t.split("_") for t in q.terms if t.count("_") == 1]
        for term in dict.fromkeys(q.terms):
            if "_" in term or not term.isalpha() or len(term) < 2 or term in q.expansions or self._df(term):
                continue
            if len(term) > MAX_TYPO_LEN:
                continue
            left = {a for a, b in pairs if b == term}
            right = {b for a, b in pairs if a == term}
            candidates = [(self._beside(v, left, right), df, v) for v in _edits1(term) if (df := self._df(v))]
            if candidates:
                v = max(candidates)[2]
                added[term] = v
                spelled = [v] + [p for p in [f"{a}_{v}" for a in left] + [f"{v}_{b}" for b in right] if self._df(p)]
                q.terms = q.terms + spelled
                q.spelled += spelled
        q.corrections = added

    def _beside(self, word: str, left: set[str], right: set[str]) -> int:
        """How many passages hold word right after one of left or right before one of right."""
        return sum(self._df(f"{a}_{word}") for a in left) + sum(self._df(f"{word}_{b}") for b in right)

    # -- visibility ---------------------------------------------------------------------------------------
    def can_see(self, doc: DocumentInfo, viewer: Viewer | None) -> bool:
        return viewer is None or viewer.can_see(doc.level, doc.audience)

    def _mask(self, viewer: Viewer | None) -> np.ndarray | None:
        """The passages this viewer may see (None: all), computed once per distinct viewer. Callers hold
        the lock."""
        if viewer is None or viewer.all_documents:
            return None
        if viewer not in self._masks:
            level, audience = self.passage_level, self.passage_audience
            mask = level == PUBLIC
            if viewer.level >= INTERNAL:
                mask |= level == INTERNAL
            sets = [i for i, a in enumerate(self._audience_sets) if viewer.audiences.intersection(a)]
            if sets:
                mask |= (level == RESTRICTED) & np.isin(audience, sets)
            if len(self._masks) > 256:  # viewers are few (a handful of groups and audiences); never grow unbounded
                self._masks.clear()
            self._masks[viewer] = mask
        return self._masks[viewer]

    def visible_documents(self, viewer: Viewer | None) -> list[DocumentInfo]:
        return [d for d in self.documents if self.can_see(d, viewer)]

    def search(self, text: str, k: int = 10, offset: int = 0, allowed_docs: set[str] | None = None,
               viewer: Viewer | None = None) -> Result:
        """The best passages for text among those viewer may see (None: all); filtered inside the top-k, so
        a page of results is full whatever is hidden."""
        q = query_mod.parse(text, self.abbreviations, self.synonyms)
        self.correct(q)
        with self._lock:
            mask = self._mask(viewer)
            if allowed_docs is not None and self.documents:
                allowed = np.array([d.id in allowed_docs for d in self.documents])[self.passage_doc]
                mask = allowed if mask is None else mask & allowed
            ids = self.vocab.lookup(q.terms)
            need = max(offset + k, rerank_mod.POOL)
            order, values = self.index.top(ids, max(need + CANDIDATES, ARTICLE_POOL if q.articles else 0),
                                           self.boost(q), mask)
            total = len(order)
            if q.articles:
                order, values = self._articles_first(q.articles, order, values)
            order, values = order[:need + CANDIDATES], values[:need + CANDIDATES]
            hits = self._collapse(order, values, need=need)
            hits = rerank_mod.rerank(hits[:rerank_mod.POOL], text, [t for t in q.terms if "_" not in t],
                                     self._idf, q.wants) + hits[rerank_mod.POOL:]
            hits = self._each_named_document_first(q, hits)
            scope = q.about and self._scopes_first(q, hits, viewer, allowed_docs)
            if scope:
                hits = scope
        confident = bool(scope) or (self._asked_article(q, hits[0]) or self._confident(q, hits[0]) if hits else False)
        return Result(q.text, [self._decorate(h, q, bool(scope)) for h in hits[offset:offset + k]], confident, total)

    def _fetch(self, pids: list[int]) -> dict[int, tuple]:
        if not pids:
            return {}
        marks = ",".join("?" * len(pids))
        rows = self._conn.execute(
            f"SELECT id, doc_id, heading, text, position FROM passages WHERE id IN ({marks})", pids
        ).fetchall()
        return {r[0]: r for r in rows}

    def _collapse(self, order: np.ndarray, values: np.ndarray, need: int) -> list[Hit]:
        """Hits in rank order, dropping passages that nearly repeat a higher-ranked one (the same text in two
        files); candidates are read in small batches until `need` hits are kept."""
        kept: list[tuple[Hit, frozenset[str]]] = []
        batch = max(8, need + 4)
        score_of = dict(zip(order.tolist(), values.tolist(), strict=True))
        for start in range(0, len(order), batch):
            chunk = [int(i) for i in order[start:start + batch]]
            rows = self._fetch([int(self.passage_ids[i]) for i in chunk])
            for i in chunk:
                row = rows[int(self.passage_ids[i])]
                words = frozenset().union(*rerank_mod.sentence_words(row[3]))
                if any(_same_text(words, w, h.doc != row[1]) or h.doc != row[1]
                       and len(words & w) >= SHARED_SENTENCES * min(len(words), len(w))  # (cheap first)
                       and _shares_sentences(row[3], h.text) for h, w in kept):
                    continue
                kept.append((self._hit(row, score_of[i]), words))
            if len(kept) >= need + 2:
                break
        return [h for h, _ in kept]

    def _hit(self, row: tuple, score: float) -> Hit:
        pid, doc_id, heading, text, position = row
        d = self.documents[self.by_id[doc_id]]
        return Hit(pid, doc_id, d.title, d.number, d.issued, heading or "", text, text, score, position, d.source,
                   visibility=d.visibility or "public", ocr=d.ocr)

    def _scopes_first(self, q: query_mod.Query, hits: list[Hit], viewer: Viewer | None,
                      allowed_docs: set[str] | None) -> list[Hit]:
        """A question that asks only what the documents it names are about ("NĐ 59 quy định gì") leads with
        each one's scope: its "Phạm vi điều chỉnh" article or summary, else its Điều 1, else its first passage.
        Empty when no such document is there for this viewer."""
        named = [self.documents[i] for i in self.named_documents(q.refs)]
        named = [d for d in named if self.can_see(d, viewer) and (allowed_docs is None or d.id in allowed_docs)]
        found = [h.doc for h in hits]
        named.sort(key=lambda d: found.index(d.id) if d.id in found else len(found))
        leads = []
        for d in named:
            rows = self._conn.execute(
                "SELECT id, doc_id, heading, text, position FROM passages WHERE doc_id = ? ORDER BY position LIMIT ?",
                (d.id, SCOPE_WITHIN),
            ).fetchall()
            if rows:
                score = max((h.score for h in hits if h.doc == d.id), default=hits[0].score if hits else 0.0)
                leads.append(self._hit(min(rows, key=_scope_rank), score))
        shown = {h.passage_id for h in leads}
        return leads + [h for h in hits if h.passage_id not in shown] if leads else []

    def _each_named_document_first(self, q: query_mod.Query, hits: list[Hit]) -> list[Hit]:
        """When the question's number fits several documents (16/CT-TTg of 2016 and of 2020) and gives no
        year, lead with the best passage of each, so the cadre sees both."""
        if not q.refs:
            return hits
        named = {self.documents[i].id for i in self.named_documents(q.refs)}
        if len(named) < 2:
            return hits
        leads, seen = [], set()
        for h in hits:
            if h.doc in named and h.doc not in seen:
                leads.append(h)
                seen.add(h.doc)
        return leads + [h for h in hits if h not in leads]

    def _confident(self, q: query_mod.Query, best: Hit) -> bool:
        """Is the best passage (with its heading and document) really about the question? Not when the question
        asks for an amount of money or an age and the passage shows none, when it names something no document
        contains or a document number no document has, when the best passage is from a report or article
        that never names the place (a proper name typed with capitals), or the year, the question names, when
        the passage shares fewer than two of its syllable pairs (one for a short question) — scattered syllables
        are not an answer — or covers too little of the question's idf weight. A typed word counts as
        present when the passage holds what stands in for it (_stood_in)."""
        if any(f in query_mod.DECISIVE and not query_mod.shows_form(f, best.text) for f in q.wants):  # no amount…
            return False
        added = set(q.spelled).difference(q.corrections) | set(q.related)
        typed = [t for t in dict.fromkeys(q.terms) if t not in added]
        unigrams = [t for t in typed if "_" not in t]
        if not unigrams:
            return False
        d = self.documents[self.by_id[best.doc]]
        present = set(terms(" . ".join([best.text, best.heading, best.title, best.number or "", *d.aliases])))
        present |= self._stood_in(q, present, normalize(" ".join([best.text, best.heading])).lower())
        refs = [r for r in q.refs if not r.year_like]
        if refs and not self.named_documents(refs):
            if not any(_cites(present, ref.number) for ref in refs):
                return False  # "NĐ 33/2023": no such document here, and the passage does not cite it either
            if q.about:
                return True  # "Nghị quyết 8b nói gì": no such document here; a passage that cites it tells
        if not d.number and d.type != "Pháp điển":  # a report or an article, not a rule that applies anywhere
            if any(p not in present and not self._in_document(p, best.doc) for p in query_mod.names(q.text)):
                return False  # "huyện Giao Thủy": the best passage is from a report that never names it
            if q.years and d.year not in q.years and present.isdisjoint(map(str, q.years)):
                return False  # asked about 2024; a passage of a 2021 report that never says 2024 does not answer
        accented = {fold(w) for w in raw_tokens(q.text) if has_diacritics(w)}
        for t in unigrams:
            if t in present or t in self.vocab or not t.isalpha() or len(t) < 3 or t in q.expansions:
                continue
            if not _edits1(t).isdisjoint(query_mod.QUESTION_SYLLABLES) and t not in accented:
                continue  # "bao nhiu": a question word mistyped (typed with accents, "nấu" is no "nào")
            if q.corrections.get(t) not in present:  # unknown, and no likely spelling in the answer either
                return False
        pairs = [t for t in typed if "_" in t]
        if pairs and sum(t in present for t in pairs) < (2 if len(pairs) >= 3 else 1):
            return False
        total = covered = 0.0
        for t in unigrams:
            tid = self.vocab.get(t, -1)
            w = max(float(self.index.idf[tid]), 0.0) if tid >= 0 else 0.0
            total += w
            covered += w if t in present else 0.0
        return total > 0 and covered / total >= CONFIDENT_COVERAGE

    @staticmethod
    def _stood_in(q: query_mod.Query, present: set[str], written: str) -> set[str]:
        """The typed terms a passage answers for without holding them: an everyday phrase whose documents' wording
        it holds as written ("trưởng thôn" for "trưởng xóm"; "việc tăng" is not "việc tang"), and a misspelt
        syllable that no Vietnamese syllable looks like ("thônn", not "nấu": that is a word the documents lack),
        with its pairs, when it holds the correction."""
        stood = {t for t, wordings in q.stand_ins.items() if any(w in written for w in wordings)}
        for typo, spelling in q.corrections.items():
            if spelling in present and not query_mod.is_syllable(typo):
                stood.add(typo)
                stood |= {t for t in q.terms if "_" in t and typo in t.split("_")
                          and "_".join(spelling if p == typo else p for p in t.split("_")) in present}
        return stood

    def _decorate(self, hit: Hit, q: query_mod.Query, scope: bool) -> Hit:
        """The hit's snippet and marks: a document's scope reads from its start; else the best sentences, with
        the question's words marked as typed: a word typed with accents only with those accents ("sở" does not
        mark "số", nor "bàn" "ban"), one typed without any as written if the text has it so ("Ban"), else in any
        accents ("trach" marks "trách"), and the words added for the question (abbreviations, wordings) as
        written, spellings in any accents."""
        weak = _title_terms(hit.title) if hit.number else frozenset()  # a rule's title names it; a report's tells
        hit.snippet, hit.marks = snippet(hit.text, [] if scope else q.terms, weak=weak, forms=q.wants)
        if not scope and has_diacritics(q.text):
            written, unaccented = _typed_forms(q)
            present = set(raw_tokens(hit.snippet))  # "ban" typed is "ban" where the text has it so, else any "bàn"…
            plain = {w for w in unaccented if w not in present} | set(q.corrections.values())
            words = [(a, b, normalize(hit.snippet[a:b]).lower()) for a, b in hit.marks]  # ("hoà" as "hòa")
            hit.marks = [(a, b) for a, b, w in words if w in written or _fold_token(w) in plain]
        return hit

    # -- browsing -----------------------------------------------------------------------------------------
    def document(self, doc_id: str, viewer: Viewer | None = None) -> DocumentInfo | None:
        """The document, or None if there is none or viewer may not see it (the same answer either way)."""
        i = self.by_id.get(doc_id)
        d = self.documents[i] if i is not None else None
        return d if d is not None and self.can_see(d, viewer) else None

    def find_documents(self, text: str, viewer: Viewer | None = None) -> list[DocumentInfo]:
        """Documents that viewer may see named in text by number ("33/CT-TTg", "CT 33", "chỉ thị 33 năm 2021", or
        a bare "1147", "1147/2025"), newest first."""
        refs = query_mod.find_refs(text)
        bare = re.fullmatch(r"\s*(?:số\s*)?(\d{1,5})(?:\s*/\s*((?:19|20)\d\d))?\s*", text, re.IGNORECASE)
        if not refs and bare:
            refs = [query_mod.DocRef(bare.group(1), None, int(bare.group(2)) if bare.group(2) else None)]
        found = [d for d in (self.documents[i] for i in self.named_documents(refs)) if self.can_see(d, viewer)]
        return sorted(found, key=lambda d: d.issued or "", reverse=True)

    def find_titled(self, text: str, viewer: Viewer | None = None) -> list[DocumentInfo]:
        """Documents that viewer may see whose title or an alias holds every word of text, at least two ("luật
        thực hiện dân chủ ở cơ sở", typed with or without accents), the shortest title first."""
        words = set(re.findall(r"\w+", fold(text)))
        if len(words) < 2:
            return []
        found = [d for d in self.documents
                 if self.can_see(d, viewer) and any(words <= set(re.findall(r"\w+", fold(name)))
                                                    for name in [d.title, *d.aliases])]
        return sorted(found, key=lambda d: len(d.title))  # the closest title first: the law before its decree

    def passages_of(self, doc_id: str, start: int = 0, limit: int = 1000, viewer: Viewer | None = None) -> list[Hit]:
        d = self.document(doc_id, viewer)
        if d is None:
            return []
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, heading, text, position FROM passages WHERE doc_id = ? ORDER BY position "
                "LIMIT ? OFFSET ?", (doc_id, limit, start)).fetchall()
        return [Hit(r[0], doc_id, d.title, d.number, d.issued, r[1] or "", r[2], r[2], 0.0, r[3], d.source,
                    visibility=d.visibility or "public", ocr=d.ocr) for r in rows]

    def passage(self, passage_id: int, viewer: Viewer | None = None) -> Hit | None:
        """The passage, or None if there is none or viewer may not see its document."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id, doc_id, heading, text, position FROM passages WHERE id = ?", (passage_id,)).fetchone()
        if row is None:
            return None
        d = self.documents[self.by_id[row[1]]]
        if not self.can_see(d, viewer):
            return None
        return Hit(row[0], row[1], d.title, d.number, d.issued, row[2] or "", row[3], row[3], 0.0, row[4], d.source,
                   visibility=d.visibility or "public", ocr=d.ocr)

    def stats(self, viewer: Viewer | None = None) -> dict:
        """Counts of the documents and passages viewer may see (None: all) and of the vocabulary."""
        if viewer is None or viewer.all_documents:
            return {"documents": len(self.documents), "passages": self.index.n_passages, "terms": len(self.vocab)}
        with self._lock:
            passages = int(self._mask(viewer).sum())
        return {"documents": len(self.visible_documents(viewer)), "passages": passages, "terms": len(self.vocab)}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _scope_rank(row: tuple) -> tuple[int, int]:
    """Where a passage stands as a document's scope: its article "Phạm vi điều chỉnh" or its summary ("Tóm tắt
    nội dung", as in a fact card) (0), Điều 1 (1), other (2); then by position."""
    article = fold(row[2].rsplit("›", 1)[-1]).strip()
    kind = 0 if "pham vi dieu chinh" in article or article.startswith("tom tat") else 1 if re.match(
        r"dieu 1\b", article) else 2
    return kind, row[4]


def _typed_forms(q: query_mod.Query) -> tuple[set[str], set[str]]:
    """The question's words as written, with its abbreviations' expansions and everyday wordings; and its words
    typed without accents. (Once a question, not once a hit: cached on the query.)"""
    if q.typed_forms is None:
        added = [v for vs in q.expansions.values() for v in vs] + [w for ws in q.stand_ins.values() for w in ws]
        q.typed_forms = (set(raw_tokens(" ".join([q.text, *added]))),
                         {w for w in raw_tokens(q.text) if not has_diacritics(w)})
    return q.typed_forms


@lru_cache(maxsize=1024)
def _title_terms(title: str) -> frozenset[str]:
    return frozenset(terms(title))


def _is_article(heading: str, articles: list[str]) -> bool:
    """Is the innermost part of a heading path one of these articles ("Điều 15. Những nội dung …" for "15")?"""
    m = re.match(r"Điều (\d{1,3}[a-zđ]?)\s*[.:]", heading.rsplit(" › ", 1)[-1], re.IGNORECASE)
    return bool(m) and m.group(1).lower() in articles


def _cites(present: set[str], number: str) -> bool:
    """Do a passage's terms hold a document number that starts with number ("33/2023/nd-cp" for "33")?"""
    return any(t[:len(number) + 1] in (number + "/", number + "-") for t in present)


SHARED_SENTENCES = 0.5  # of the smaller passage's words, in sentences the other holds word for word


def _shares_sentences(a: str, b: str) -> bool:
    """Do two passages hold the same sentences (of six words or more) for at least SHARED_SENTENCES of the smaller
    one's words? (A law and its codification cut at other places share their first khoản, not all their words.)"""
    sa = [w for w in rerank_mod.sentence_words(a) if len(w) >= 6]
    sb = [w for w in rerank_mod.sentence_words(b) if len(w) >= 6]
    if not sa or not sb:
        return False
    shared = set(sa) & set(sb)
    return sum(map(len, shared)) >= SHARED_SENTENCES * min(sum(map(len, sa)), sum(map(len, sb)))


def _same_text(a: frozenset[str], b: frozenset[str], other_document: bool) -> bool:
    """Do two passages' word sets show the same text: Jaccard similarity of at least DUPLICATE_JACCARD, or, for
    passages of two documents, most of the smaller one's words in the other (REPEATS: the same text cut at other
    places, as a law and its codification, whose source notes shift where passages break)?"""
    small, large = sorted((len(a), len(b)))
    if small < DUPLICATE_JACCARD * large and not other_document:  # sizes that far apart cannot reach it
        return False
    shared = len(a & b)
    return (shared >= DUPLICATE_JACCARD * max(1, small + large - shared)
            or other_document and small >= 10 and shared >= REPEATS * small)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


MAX_TYPO_LEN = 12  # a Vietnamese syllable is at most 7 letters; longer tokens are numbers or junk


def _edits1(word: str) -> set[str]:
    """All strings one deletion, transposition, replacement or insertion away (folded Latin letters)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]}
            | {a + c + b for a, b in splits for c in _LETTERS})


def snippet(text: str, query_terms: list[str], max_sentences: int = 3, max_chars: int = 400,
            weak: frozenset[str] = frozenset(), forms: tuple[str, ...] = ()) -> tuple[str, list[tuple[int, int]]]:
    """The best 1-3 consecutive sentences of text for the query, and the spans of matched words in it. Words in
    weak (those of a numbered document's title: "Luật Thực hiện dân chủ ở cơ sở có hiệu lực từ khi nào" names
    the law, then asks) do not count towards the choice, unless the question has no others; all are marked.
    The sentences chosen hold the best sentence, of those that show a form the question asks for (forms: a date,
    a count of times, …, query.asks_for) if any does: "họp mấy lần một năm" shows "định kỳ mỗi năm một lần",
    not the sentence after it, "bất thường khi …"."""
    wanted = {t for t in query_terms if "_" not in t}
    bigrams = {t for t in query_terms if "_" in t}
    sentences = [s.strip() for s in SENTENCE_BREAK.split(text) if s.strip()]
    if not sentences:
        return "", []
    counted, counted_pairs = (wanted - weak, bigrams - weak) if wanted - weak else (wanted, bigrams)

    def gain(sentence: str) -> float:
        words = folded_words(sentence)
        pairs = {a + "_" + b for a, b in zip(words, words[1:], strict=False)}
        return len(counted.intersection(words)) + 0.5 * len(counted_pairs & pairs)

    gains = [gain(s) for s in sentences]
    shown = [gains[i] > 0 and any(query_mod.shows_form(f, s) for f in forms) for i, s in enumerate(sentences)]
    best_start, best_value = 0, -1.0
    top = max(range(len(sentences)), key=lambda i: (shown[i], gains[i], -i))
    for start in range(max(0, top - max_sentences + 1), top + 1):
        value, length, end = 0.0, 0, start
        for j in range(start, min(len(sentences), start + max_sentences)):
            length += len(sentences[j]) + 1
            if length > max_chars and j > start:
                break
            value, end = value + gains[j], j
        if end >= top and value > best_value:
            best_start, best_value = start, value
    while best_start + 1 < len(sentences) and gains[best_start] == 0 and any(
            gains[best_start + 1:best_start + max_sentences]):
        best_start += 1  # do not open on a sentence that matches nothing
    chosen, length = [], 0
    for s in sentences[best_start:best_start + max_sentences]:
        if chosen and length + len(s) > max_chars:
            break
        chosen.append(s)
        length += len(s) + 1
    out = " ".join(chosen)
    if len(out) > max_chars:
        out = out[:max_chars].rsplit(" ", 1)[0] + "…"
    prefix = "… " if best_start > 0 else ""
    suffix = " …" if best_start + len(chosen) < len(sentences) and not out.endswith("…") else ""
    out = prefix + out + suffix
    return out, mark_words(out, wanted)


_fold_token = lru_cache(maxsize=100_000)(fold)  # words repeat from snippet to snippet


def mark_words(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Spans of the words of text whose folded form is one of the wanted terms."""
    spans = []
    for m in re.finditer(r"\w+(?:[/\-.,]\w+)*%?", normalize(text)):
        if len(m.group(0)) > 1 and _fold_token(m.group(0)) in wanted:  # not "b" in "b)" for a typed "<b>"
            spans.append((m.start(), m.end()))
    return spans


PROJECT_ROOT = Path(__file__).resolve().parents[1]


def default_data_dir() -> Path:
    return Path(os.environ.get("DANVAN_DATA") or PROJECT_ROOT / "data")


def default_db_path() -> Path:
    return Path(os.environ.get("DANVAN_DB") or default_data_dir() / "index.db")


def default_knowledge_dir() -> Path:
    return PROJECT_ROOT / "knowledge"
