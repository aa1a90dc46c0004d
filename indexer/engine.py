"""BM25 scoring through an inverted index, exact to rank_bm25.BM25Okapi.

Postings live in contiguous numpy arrays, term-major: term t occurs in passages pids[indptr[t]:indptr[t+1]]
(ascending) with BM25 weights tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)). A passage's score is the sum over
the query's tokens (with repetition) of idf[t] * weight, like BM25Okapi.get_scores; idf carries BM25Okapi's
epsilon floor (negative idf -> epsilon * mean idf over the corpus vocabulary).

What is stored (Postings) is term counts, not weights: the weights, the idf and the dense rows below are
computed with numpy when an index is opened, so adding a passage never means rewriting stored weights.

Top-k is exact and skips most of the work (a MaxScore-style threshold): the query's rarer terms are scored
in full with one bincount over their postings; the passages of its rarest term, scored completely, give a
lower bound theta of the k-th best score; terms found in at least a quarter of the passages keep a dense row
of weights, and since they can add at most R (the sum of coefficient * largest weight) to a passage, only the
passages whose partial score plus R reaches theta get those rows added, and only those are ranked.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25
DENSE_FRACTION = 0.25  # terms in at least a quarter of the passages also get a dense weight row
SEED_TERMS = 3  # the rarest query terms whose passages, scored completely, give the threshold
SEED_POSTINGS = 4096  # (more than the rarest one only while they have at most this many postings together)
SEED_FACTOR = 4  # of those passages, the best SEED_FACTOR * k by partial score are scored completely
SLACK = 1e-9  # a passage is skipped only when its bound is below the threshold by more than rounding explains
CHUNK = 1 << 18  # postings weighted per numpy pass (bounds temporary memory)


@dataclass
class ForwardIndex:
    """Passage-major term counts: passage i has term ids term_ids[indptr[i]:indptr[i+1]] with counts tfs."""

    indptr: np.ndarray  # int64, n_passages + 1
    term_ids: np.ndarray  # int32
    tfs: np.ndarray  # unsigned or int32

    @classmethod
    def from_counts(cls, rows: Iterable[tuple[np.ndarray, np.ndarray]]) -> ForwardIndex:
        ids, tfs, lengths = [], [], [0]
        for term_ids, counts in rows:
            ids.append(np.asarray(term_ids, dtype=np.int32))
            tfs.append(np.asarray(counts))
            lengths.append(len(term_ids))
        return cls(
            np.cumsum(np.asarray(lengths, dtype=np.int64)),
            np.concatenate(ids) if ids else np.zeros(0, np.int32),
            compact_counts(np.concatenate(tfs)) if tfs else np.zeros(0, np.uint8),
        )

    @property
    def n_passages(self) -> int:
        return len(self.indptr) - 1


def compact_counts(tfs: np.ndarray) -> np.ndarray:
    """Term counts in the smallest unsigned type that holds them (uint8 almost always)."""
    top = int(tfs.max()) if len(tfs) else 0
    dtype = np.uint8 if top < 1 << 8 else np.uint16 if top < 1 << 16 else np.uint32
    return tfs.astype(dtype, copy=False)


def counts_from_blob(blob: bytes, n_terms: int) -> np.ndarray:
    """A passage's stored counts: one byte per term, or two (a count above 255), or four."""
    if n_terms == 0:
        return np.zeros(0, np.uint8)
    width = len(blob) // n_terms
    return np.frombuffer(blob, {1: np.uint8, 2: np.uint16, 4: np.uint32}[width])


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

    def extend(self, terms: Iterable[str]) -> None:
        """Add terms that are not in the vocabulary yet (and distinct), in order."""
        first = len(self.terms)
        self.terms.extend(terms)
        self.ids.update(zip(self.terms[first:], range(first, len(self.terms)), strict=True))

    def encode(self, tokens: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """Tokens -> (sorted unique term ids, counts), adding new terms."""
        counts = Counter(tokens)
        pairs = sorted((self.add(t), c) for t, c in counts.items())
        return (np.fromiter((p[0] for p in pairs), np.int32, len(pairs)),
                np.fromiter((p[1] for p in pairs), np.int32, len(pairs)))

    def __len__(self) -> int:
        return len(self.terms)


# -- the hashed vocabulary of a serving process --------------------------------------------------------------


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def term_hashes(terms: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(term_hash, terms), np.uint64, len(terms))


class HashedVocabulary:
    """Term -> id through a 64-bit hash of the term: two numpy arrays (sorted hashes, their ids) instead of a
    dict of strings, so opening an index builds no Python object per term. Terms whose hashes collide are
    kept by name in `exact`. A term that is not in the vocabulary could only be mistaken for one that is if
    their hashes were equal (odds about n_terms / 2**64 per lookup)."""

    def __init__(self, hashes: np.ndarray, ids: np.ndarray, exact: dict[str, int] | None = None,
                 n_terms: int | None = None):
        self.hashes = hashes  # uint64, sorted, unique
        self.hash_ids = ids  # int32
        self.exact = exact or {}
        self.n_terms = len(hashes) + len(self.exact) if n_terms is None else n_terms

    @classmethod
    def from_terms(cls, terms: Sequence[str]) -> HashedVocabulary:
        return cls.extend(cls(np.zeros(0, np.uint64), np.zeros(0, np.int32), {}, 0), terms, 0)

    def extend(self, terms: Sequence[str], first_id: int) -> HashedVocabulary:
        """A vocabulary with terms[i] added as id first_id + i (terms not already present)."""
        hashes = np.concatenate([self.hashes, term_hashes(terms)])
        ids = np.concatenate([self.hash_ids, np.arange(first_id, first_id + len(terms), dtype=np.int32)])
        order = np.argsort(hashes, kind="stable")
        hashes, ids = hashes[order], ids[order]
        exact = dict(self.exact)
        same = np.flatnonzero(hashes[1:] == hashes[:-1])
        if len(same):  # a collision: those terms are looked up by name
            clash = np.zeros(len(hashes), bool)
            clash[same] = clash[same + 1] = True
            known = {int(i) for i in ids[clash]}
            added = {t: first_id + i for i, t in enumerate(terms)}
            exact.update({t: i for t, i in added.items() if i in known})
            if known - set(exact.values()):
                raise ValueError("hash collision with a term whose name is not at hand; rebuild the vocabulary")
            hashes, ids = hashes[~clash], ids[~clash]
        return HashedVocabulary(hashes, ids, exact, self.n_terms + len(terms))

    def get(self, term: str, default: int = -1) -> int:
        if self.exact and term in self.exact:
            return self.exact[term]
        h = np.uint64(term_hash(term))
        i = int(np.searchsorted(self.hashes, h))
        return int(self.hash_ids[i]) if i < len(self.hashes) and self.hashes[i] == h else default

    def lookup(self, terms: Sequence[str]) -> list[int]:
        """Ids of terms (-1 for unknown ones), in one vectorized search."""
        if not terms:
            return []
        h = term_hashes(terms)
        i = np.minimum(np.searchsorted(self.hashes, h), max(len(self.hashes) - 1, 0))
        if not len(self.hashes):
            found = np.full(len(terms), -1)
        else:
            found = np.where(self.hashes[i] == h, self.hash_ids[i], -1)
        out = found.tolist()
        if self.exact:
            out = [self.exact.get(t, v) for t, v in zip(terms, out, strict=True)]
        return out

    def __contains__(self, term: str) -> bool:
        return self.get(term) >= 0

    def __len__(self) -> int:
        return self.n_terms

    def exact_json(self) -> bytes:
        return json.dumps(self.exact, ensure_ascii=False).encode("utf-8")


# -- stored postings: term counts, term-major ------------------------------------------------------------------


def stable_order(keys: np.ndarray) -> np.ndarray:
    """np.argsort(keys, kind="stable") of non-negative int32 keys, through one sort of (key, index) packed into
    int64 values: numpy sorts plain integers with SIMD, several times faster than a stable argsort."""
    packed = keys.astype(np.int64) << 32
    packed |= np.arange(len(keys), dtype=np.int64)
    packed.sort()
    packed &= 0xFFFFFFFF
    return packed


@dataclass
class Postings:
    """Term-major term counts: term t occurs tfs[j] times in passage pids[j], for j in indptr[t]:indptr[t+1]
    (passages ascending); doc_len[p] is the number of tokens of passage p. Rows (passage numbers) follow
    passage order; term ids follow the vocabulary."""

    indptr: np.ndarray  # int64, n_terms + 1
    pids: np.ndarray  # int32
    tfs: np.ndarray  # uint8 (uint16/uint32 when a count needs it)
    doc_len: np.ndarray  # int64, n_passages

    @property
    def n_terms(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_passages(self) -> int:
        return len(self.doc_len)

    @classmethod
    def from_forward(cls, fwd: ForwardIndex, n_terms: int) -> Postings:
        n = fwd.n_passages
        counts = np.diff(fwd.indptr)
        order = stable_order(fwd.term_ids)  # passages stay ascending within a term
        pids = np.repeat(np.arange(n, dtype=np.int32), counts)[order]
        tfs = fwd.tfs[order]
        del order
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(np.bincount(fwd.term_ids, minlength=n_terms), out=indptr[1:])
        doc_len = np.bincount(np.repeat(np.arange(n), counts), weights=fwd.tfs, minlength=n).astype(np.int64)
        return cls(indptr, pids, compact_counts(tfs), doc_len)

    def patch(self, removed: np.ndarray, added: ForwardIndex, n_terms: int) -> Postings:
        """These postings without the passages at rows `removed`, and with the passages of `added` after the
        remaining ones (which keep their order). Only postings move: nothing is re-analysed."""
        n = self.n_passages
        pids, tfs, df = self.pids, self.tfs, np.diff(self.indptr)
        doc_len = self.doc_len
        if len(removed):
            gone = np.zeros(n, bool)
            gone[removed] = True
            keep = ~gone[pids]
            kept_before = np.zeros(len(pids) + 1, np.int64)
            np.cumsum(keep, out=kept_before[1:])
            df = kept_before[self.indptr[1:]] - kept_before[self.indptr[:-1]]
            del kept_before
            row = np.cumsum(~gone, dtype=np.int64) - 1
            pids = row[pids[keep]].astype(np.int32)
            tfs = tfs[keep]
            del keep
            doc_len = doc_len[~gone]
            n -= int(gone.sum())
        df = np.concatenate([df, np.zeros(n_terms - len(df), np.int64)])
        m = added.n_passages
        if m:
            counts = np.diff(added.indptr)
            rows = np.repeat(np.arange(n, n + m, dtype=np.int32), counts)
            order = stable_order(added.term_ids)
            terms = added.term_ids[order]
            ends = np.zeros(n_terms + 1, np.int64)
            np.cumsum(df, out=ends[1:])
            at = ends[terms.astype(np.int64) + 1]  # after the last posting of each term
            new_tfs = added.tfs[order]
            dtype = np.promote_types(tfs.dtype, new_tfs.dtype)
            pids = np.insert(pids, at, rows[order])
            tfs = np.insert(tfs.astype(dtype, copy=False), at, new_tfs.astype(dtype, copy=False))
            df = df + np.bincount(terms, minlength=n_terms)
            lengths = np.bincount(np.repeat(np.arange(m), counts), weights=added.tfs, minlength=m)
            doc_len = np.concatenate([doc_len, lengths.astype(np.int64)])
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(df, out=indptr[1:])
        return Postings(indptr, pids.astype(np.int32, copy=False), compact_counts(tfs), doc_len.astype(np.int64))


# -- the index a query runs on ---------------------------------------------------------------------------------


class BM25Index:
    """Term-major postings with BM25Okapi impacts (idf * weight) and idf; dense weight rows for common terms."""

    def __init__(self, indptr, pids, weights, idf, n_passages: int, avgdl: float,
                 dense_fraction: float = DENSE_FRACTION):
        self.indptr = indptr  # int64, n_terms + 1
        self.pids = pids  # int32
        self.weights = weights  # float64 impacts: idf[t] * tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl))
        self.idf = idf  # float64, n_terms
        self.n_passages = n_passages
        self.avgdl = avgdl
        df = np.diff(indptr)
        self.df = df
        present = df > 0
        self.max_weight = np.zeros(len(df))
        if present.any():
            self.max_weight[present] = np.maximum.reduceat(weights, indptr[:-1][present])
        # Terms in at least dense_fraction of the passages also keep their weights as one dense row each: a
        # query adds those rows only for the few passages that can still make its top k.
        threshold = max(1, int(np.ceil(n_passages * dense_fraction)))
        common = np.flatnonzero(df >= threshold) if n_passages else np.zeros(0, np.int64)
        self.dense_row = np.full(len(df), -1, np.int64)
        self.dense_row[common] = np.arange(len(common))
        self.dense = np.zeros((len(common), n_passages))
        for i, t in enumerate(common.tolist()):
            lo, hi = indptr[t], indptr[t + 1]
            self.dense[i, pids[lo:hi]] = weights[lo:hi]

    @classmethod
    def from_postings(cls, p: Postings, k1=K1, b=B, epsilon=EPSILON, **options) -> BM25Index:
        n = p.n_passages
        df = np.diff(p.indptr)
        if n == 0:
            return cls(p.indptr, p.pids, np.zeros(0), np.zeros(p.n_terms), 0, 0.0, **options)
        doc_len = p.doc_len.astype(np.float64)
        avgdl = float(doc_len.sum()) / n
        norm = k1 * (1 - b + b * doc_len / avgdl) if avgdl > 0 else np.full(n, float(k1))
        idf = okapi_idf(df, n, epsilon)
        weights = np.empty(len(p.pids))
        for lo in range(0, len(p.pids), CHUNK):  # as BM25Okapi computes them, without full-size temporaries
            hi = min(lo + CHUNK, len(p.pids))
            tf = p.tfs[lo:hi].astype(np.float64)
            term = np.searchsorted(p.indptr, np.arange(lo, hi), side="right") - 1
            weights[lo:hi] = idf[term] * (tf * (k1 + 1) / (tf + norm[p.pids[lo:hi]]))
        return cls(p.indptr, p.pids, weights, idf, n, avgdl, **options)

    @classmethod
    def from_forward(cls, fwd: ForwardIndex, n_terms: int, k1=K1, b=B, epsilon=EPSILON, **options) -> BM25Index:
        return cls.from_postings(Postings.from_forward(fwd, n_terms), k1, b, epsilon, **options)

    def top(self, term_ids: Iterable[int], k: int, boost: np.ndarray | None = None,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The k best passages containing a query term and their scores (scores() times boost, where mask),
        best first, ties by passage.

        Exact, with a threshold: the rarer terms are scored in full (one bincount over their postings); the
        passages of the rarest term, scored completely, give a lower bound theta of the k-th best score; the
        common (dense) terms can add at most R = sum of coefficient * largest weight, so only passages whose
        partial score can still reach theta (partial + R >= theta) get their dense rows added."""
        counts = Counter(t for t in term_ids if t >= 0 and self.indptr[t + 1] > self.indptr[t])
        if not counts or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0)
        terms = np.fromiter(counts, np.int64, len(counts))
        coef = np.fromiter(counts.values(), np.float64, len(counts))  # weights carry the idf already
        if (self.idf[terms] <= 0).any() or (boost is not None and (boost <= 0).any()):
            return self._top_full(terms, coef, k, boost, mask)  # a zero score would not mean "no match"
        n = self.n_passages
        rows = self.dense_row[terms]
        is_dense = rows >= 0
        sparse = [(int(t), float(c)) for t, c in zip(terms[~is_dense], coef[~is_dense], strict=True)]
        dense = list(zip(rows[is_dense].tolist(), coef[is_dense].tolist(), strict=True))
        reach = float((coef[is_dense] * self.max_weight[terms[is_dense]]).sum())
        top_boost = float(boost.max()) if boost is not None else 1.0

        def add_dense(out: np.ndarray, cand: np.ndarray) -> np.ndarray:
            for r, c in dense:
                out += c * self.dense[r, cand] if c != 1 else self.dense[r, cand]
            return out

        partial = self._scatter(sparse, n)
        theta = self._threshold(sparse, partial, k, boost, mask, add_dense) if sparse else 0.0
        cand = None
        if theta > 0 and reach * top_boost * (1 + SLACK) < theta:
            if boost is None:
                cand = np.flatnonzero(partial >= theta / (1 + SLACK) - reach)
            else:
                cand = np.flatnonzero((partial + reach) * boost * (1 + SLACK) >= theta)
        if cand is None or len(cand) > n // 8:  # no useful bound: every passage, adding whole rows
            scores = add_dense(partial, slice(None))
            if boost is not None:
                scores *= boost
            ok = scores > 0
            if mask is not None:
                ok &= mask
            cand = np.flatnonzero(ok)
            scores = scores[cand]
        else:
            if mask is not None:
                cand = cand[mask[cand]]
            scores = add_dense(partial[cand], cand)
            if boost is not None:
                scores *= boost[cand]
            ok = scores > 0
            cand, scores = cand[ok], scores[ok]
        keep = _best(cand, scores, k)
        return cand[keep], scores[keep]

    def _threshold(self, sparse, partial, k, boost, mask, add_dense) -> float:
        """A lower bound of the k-th best score: the k-th best complete score among the passages of the
        rarest query terms (the sparse terms' scores are in partial already), or 0."""
        rarest = sorted(sparse, key=lambda tc: self.df[tc[0]])[:SEED_TERMS]
        taken, total = 0, 0
        for t, _ in rarest:  # the rarest term, and the next ones while they stay small
            total += int(self.df[t])
            if taken and total > SEED_POSTINGS:
                break
            taken += 1
        seed = np.concatenate([self.pids[self.indptr[t]:self.indptr[t + 1]] for t, _ in rarest[:taken]])
        if taken > 1:
            seed.sort()
            seed = seed[np.concatenate(([True], seed[1:] != seed[:-1]))]
        if mask is not None:
            seed = seed[mask[seed]]
        if len(seed) < k:
            return 0.0
        scores = partial[seed]
        if len(seed) > SEED_FACTOR * k:  # complete only the best of them (any subset gives a lower bound)
            best = np.argpartition(scores if boost is None else scores * boost[seed], len(seed) - SEED_FACTOR * k)
            seed = seed[best[len(seed) - SEED_FACTOR * k:]]
            scores = partial[seed]
        scores = add_dense(scores, seed)
        if boost is not None:
            scores *= boost[seed]
        return float(np.partition(scores, len(seed) - k)[len(seed) - k])

    def _scatter(self, terms: list[tuple[int, float]], n: int) -> np.ndarray:
        """Scores of every passage for these (term, coefficient) pairs: one bincount over their postings."""
        if not terms:
            return np.zeros(n)
        ip, w = self.indptr, self.weights
        return np.bincount(np.concatenate([self.pids[ip[t]:ip[t + 1]] for t, _ in terms]),
                           np.concatenate([c * w[ip[t]:ip[t + 1]] if c != 1 else w[ip[t]:ip[t + 1]] for t, c in terms]),
                           minlength=n)

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
                out[self.pids[lo:hi]] += count * self.weights[lo:hi] if count > 1 else self.weights[lo:hi]
        return out


def _best(pids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best (score descending, then passage ascending)."""
    if len(scores) > k:
        cut = np.partition(scores, len(scores) - k)[len(scores) - k]
        cand = np.flatnonzero(scores >= cut)
    else:
        cand = np.arange(len(scores))
    order = np.lexsort((pids[cand], -scores[cand]))
    return cand[order[:k]]


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
