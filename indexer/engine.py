"""BM25 scoring through an inverted index, exact to rank_bm25.BM25Okapi.

Postings live in contiguous numpy arrays, term-major: for term t, passages pids[indptr[t]:indptr[t+1]] with
precomputed weights tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)). A query scores as
sum over its tokens (with repetition) of idf[t] * weight, like BM25Okapi.get_scores; idf carries BM25Okapi's
epsilon floor (negative idf -> epsilon * mean idf over the corpus vocabulary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25
DENSE_FRACTION = 4  # terms in at least a quarter of the passages are also kept as dense rows


@dataclass
class ForwardIndex:
    """Passage-major term counts: passage i has term ids term_ids[indptr[i]:indptr[i+1]] with counts tfs."""

    indptr: np.ndarray  # int64, n_passages + 1
    term_ids: np.ndarray  # int32
    tfs: np.ndarray  # int32

    @classmethod
    def from_counts(cls, rows: Iterable[tuple[np.ndarray, np.ndarray]]) -> ForwardIndex:
        ids, tfs, lengths = [], [], [0]
        for term_ids, counts in rows:
            ids.append(np.asarray(term_ids, dtype=np.int32))
            tfs.append(np.asarray(counts, dtype=np.int32))
            lengths.append(len(term_ids))
        return cls(
            np.cumsum(np.asarray(lengths, dtype=np.int64)),
            np.concatenate(ids) if ids else np.zeros(0, np.int32),
            np.concatenate(tfs) if tfs else np.zeros(0, np.int32),
        )

    @property
    def n_passages(self) -> int:
        return len(self.indptr) - 1


class Vocabulary:
    """Term <-> id. Ids are dense and stable; a term is never removed (its df may drop to zero)."""

    def __init__(self, terms: Sequence[str] = ()):
        self.terms: list[str] = list(terms)
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.terms)}

    def add(self, term: str) -> int:
        tid = self.ids.get(term)
        if tid is None:
            tid = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return tid

    def encode(self, tokens: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Tokens -> (sorted unique term ids, counts), adding new terms."""
        counts = Counter(tokens)
        pairs = sorted((self.add(t), c) for t, c in counts.items())
        return (np.fromiter((p[0] for p in pairs), np.int32, len(pairs)),
                np.fromiter((p[1] for p in pairs), np.int32, len(pairs)))

    def __len__(self) -> int:
        return len(self.terms)


class BM25Index:
    """Term-major postings with BM25Okapi weights and idf, ready to score."""

    def __init__(self, indptr, pids, weights, idf, n_passages: int, avgdl: float):
        self.indptr = indptr  # int64, n_terms + 1
        self.pids = pids  # int32
        self.weights = weights  # float64
        self.idf = idf  # float64, n_terms
        self.n_passages = n_passages
        self.avgdl = avgdl

    @classmethod
    def from_forward(cls, fwd: ForwardIndex, n_terms: int, k1=K1, b=B, epsilon=EPSILON) -> BM25Index:
        n = fwd.n_passages
        if n == 0:
            return cls(np.zeros(n_terms + 1, np.int64), np.zeros(0, np.int32), np.zeros(0), np.zeros(n_terms), 0, 0.0)
        row_len = np.diff(fwd.indptr)
        doc_len = np.add.reduceat(fwd.tfs, fwd.indptr[:-1]) if len(fwd.tfs) else np.zeros(n)
        doc_len = np.where(row_len > 0, doc_len, 0).astype(np.float64)
        avgdl = float(doc_len.sum()) / n
        rows = np.repeat(np.arange(n, dtype=np.int32), row_len)
        order = np.argsort(fwd.term_ids, kind="stable")
        term_sorted = fwd.term_ids[order]
        pids = rows[order]
        tf = fwd.tfs[order].astype(np.float64)
        df = np.bincount(term_sorted, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(df, out=indptr[1:])
        norm = k1 * (1 - b + b * doc_len / avgdl) if avgdl > 0 else np.full(n, k1)
        weights = tf * (k1 + 1) / (tf + norm[pids])
        return cls(indptr, pids, weights, okapi_idf(df, n, epsilon), n, avgdl)

    def _dense(self) -> tuple[dict[int, int], np.ndarray]:
        """Terms found in at least 1/DENSE_FRACTION of the passages keep their weights as dense rows too: adding
        a contiguous row is several times faster than scattering that many postings. Built once, lazily."""
        if getattr(self, "_dense_rows", None) is None:
            df = np.diff(self.indptr)
            common = np.flatnonzero(df >= max(self.n_passages // DENSE_FRACTION, 1)) if self.n_passages else []
            rows = np.zeros((len(common), self.n_passages))
            for i, t in enumerate(common):
                lo, hi = self.indptr[t], self.indptr[t + 1]
                rows[i, self.pids[lo:hi]] = self.weights[lo:hi]
            self._dense_rows = ({int(t): i for i, t in enumerate(common)}, rows)
        return self._dense_rows

    def top(self, term_ids: Iterable[int], k: int, boost: np.ndarray | None = None,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages containing a query term and their scores (scores() times boost, where mask),
        best first."""
        counts = Counter(t for t in term_ids if t >= 0 and self.indptr[t + 1] > self.indptr[t])
        if not counts or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        terms = np.fromiter(counts, np.int64, len(counts))
        coef = np.fromiter((counts[t] * self.idf[t] for t in counts), np.float64, len(counts))
        if (coef <= 0).any() or (boost is not None and (boost <= 0).any()):
            return self._top_full(terms, coef, k, boost, mask)  # a zero score would not mean "no match"
        row_of, rows = self._dense()
        out = np.zeros(self.n_passages)
        for t, c in zip(terms.tolist(), coef.tolist(), strict=True):
            r = row_of.get(t)
            if r is not None:
                out += c * rows[r]
            else:
                lo, hi = self.indptr[t], self.indptr[t + 1]
                out[self.pids[lo:hi]] += c * self.weights[lo:hi]
        if boost is not None:
            out *= boost
        if mask is not None:
            best = top_k(out, k, (out > 0) & mask)
        else:
            best = top_k(out, k)
            best = best[out[best] > 0]
        return best, out[best]

    def _top_full(self, terms, coef, k, boost, mask) -> tuple[np.ndarray, np.ndarray]:
        out = np.zeros(self.n_passages)
        touched = np.zeros(self.n_passages, bool)
        for t, c in zip(terms, coef, strict=True):
            lo, hi = self.indptr[t], self.indptr[t + 1]
            out[self.pids[lo:hi]] += c * self.weights[lo:hi]
            touched[self.pids[lo:hi]] = True
        if boost is not None:
            out = out * boost
        if mask is not None:
            touched &= mask
        best = top_k(out, k, touched)
        return best, out[best]

    def scores(self, term_ids: Iterable[int]) -> np.ndarray:
        """BM25Okapi scores of every passage for a query given as term ids (repeats count; -1 = unknown)."""
        out = np.zeros(self.n_passages)
        for tid, count in Counter(term_ids).items():
            if tid < 0:
                continue
            lo, hi = self.indptr[tid], self.indptr[tid + 1]
            if hi > lo:
                out[self.pids[lo:hi]] += (count * self.idf[tid]) * self.weights[lo:hi]
        return out


def okapi_idf(df: np.ndarray, n: int, epsilon: float = EPSILON) -> np.ndarray:
    """BM25Okapi idf: log((N - df + 0.5) / (df + 0.5)); negatives -> epsilon * mean idf of present terms."""
    present = df > 0
    idf = np.zeros(len(df))
    idf[present] = np.log(n - df[present] + 0.5) - np.log(df[present] + 0.5)
    if present.any():
        floor = epsilon * idf[present].sum() / present.sum()
        idf[present & (idf < 0)] = floor
    return idf


def top_k(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k highest scores (descending; ties by index), optionally only where mask is True."""
    if mask is not None:
        candidates = np.flatnonzero(mask)
        values = scores[candidates]
    else:
        candidates = None
        values = scores
    k = min(k, len(values))
    if k <= 0:
        return np.zeros(0, np.int64)
    if k < len(values):
        part = np.argpartition(-values, k - 1)[:k]
    else:
        part = np.arange(len(values))
    part = part[np.lexsort((part, -values[part]))]
    return candidates[part] if candidates is not None else part
