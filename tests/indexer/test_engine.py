"""The engine ranks exactly as rank_bm25.BM25Okapi on the same tokens."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from indexer.engine import (
    BM25Index,
    ForwardIndex,
    HashedVocabulary,
    Postings,
    Vocabulary,
    okapi_idf,
    stable_order,
    top_k,
)

WORDS = [f"w{i}" for i in range(12)]
corpora = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25), min_size=1, max_size=40)
queries = st.lists(st.sampled_from(WORDS + ["unknown"]), min_size=1, max_size=12)


def build(corpus, **blocks):
    vocab = Vocabulary()
    index = BM25Index.from_forward(ForwardIndex.from_counts(vocab.encode(d) for d in corpus), len(vocab), **blocks)
    return vocab, index


# Dense rows for more or fewer terms, so that tiny corpora go through every path of the threshold top-k.
block_params = st.fixed_dictionaries({"dense_fraction": st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 2.0])})


@settings(max_examples=200, deadline=None)
@given(corpora, queries)
def test_scores_equal_bm25okapi(corpus, query):
    vocab, index = build(corpus)
    ours = index.scores([vocab.ids.get(t, -1) for t in query])
    ref = BM25Okapi(corpus).get_scores(query)
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12)


def test_common_terms_get_epsilon_floor_and_repeats_count():
    corpus = [["a", "b"], ["a", "c"], ["a", "b", "b"], ["d"]]
    vocab, index = build(corpus)
    ref = BM25Okapi(corpus)
    # "a" is in 3 of 4 passages: negative idf replaced by epsilon * mean idf
    assert index.idf[vocab.ids["a"]] == ref.idf["a"]
    q = ["a", "a", "b"]
    np.testing.assert_allclose(index.scores([vocab.ids[t] for t in q]), ref.get_scores(q), rtol=1e-12)


def test_removed_terms_do_not_count_in_mean_idf():
    df = np.array([3, 0, 1])  # term 1 no longer occurs anywhere
    idf = okapi_idf(df, 4)
    raw0, raw2 = np.log(1.5) - np.log(3.5), np.log(3.5) - np.log(1.5)
    assert idf[1] == 0
    assert idf[2] == raw2
    assert np.isclose(idf[0], 0.25 * (raw0 + raw2) / 2)


def test_top_k_order_and_mask():
    scores = np.array([0.5, 3.0, 2.0, 3.0, 0.0])
    assert list(top_k(scores, 3)) == [1, 3, 2]
    assert list(top_k(scores, 2, mask=np.array([True, False, True, False, True]))) == [2, 0]
    assert list(top_k(scores, 10)) == [1, 3, 2, 0, 4]


@settings(max_examples=500, deadline=None)
@given(corpora, queries, st.integers(1, 8), st.booleans(), st.booleans(), block_params,
       st.randoms(use_true_random=False))
def test_pruned_top_k_equals_full_ranking(corpus, query, k, use_boost, use_mask, blocks, rnd):
    vocab, index = build(corpus, **blocks)
    n = len(corpus)
    boost = np.array([rnd.choice([1.0, 1.15, 2.0]) for _ in range(n)]) if use_boost else None
    mask = np.array([rnd.random() < 0.7 for _ in range(n)]) if use_mask else None
    ids = [vocab.ids.get(t, -1) for t in query]
    got, got_scores = index.top(ids, k, boost, mask)
    full = index.scores(ids) * (boost if boost is not None else 1.0)
    np.testing.assert_allclose(full, BM25Okapi(corpus).get_scores(query) * (boost if boost is not None else 1.0),
                               rtol=1e-9, atol=1e-12)
    matched = np.array([any(t in doc for t in query) for doc in corpus])
    if mask is not None:
        matched &= mask
    want = top_k(full, k, matched)
    assert len(got) == len(want)
    np.testing.assert_allclose(got_scores, full[want], rtol=1e-12)
    np.testing.assert_allclose(full[got], got_scores, rtol=1e-12)
    assert len(set(got.tolist())) == len(got)
    assert all(matched[got])
    # the same passages as the brute-force ranking, except where scores tie within rounding
    differs = set(got.tolist()) ^ set(want.tolist())
    if differs:
        cut = full[want].min()
        assert all(abs(full[i] - cut) <= 1e-12 * abs(cut) for i in differs)


# Bigger corpora with a skewed vocabulary: terms in more than half the passages (idf floor), repeated query
# tokens, most passages skipped by the threshold.
zipf_words = st.sampled_from([f"c{i}" for i in range(3)] * 8 + [f"m{i}" for i in range(10)] * 2
                             + [f"r{i}" for i in range(40)])
big_corpora = st.lists(st.lists(zipf_words, min_size=1, max_size=30), min_size=20, max_size=200)
big_queries = st.lists(st.sampled_from([f"c{i}" for i in range(3)] + [f"m{i}" for i in range(10)]
                                       + [f"r{i}" for i in range(40)] + ["unknown"]), min_size=1, max_size=15)


@settings(max_examples=200, deadline=None)
@given(big_corpora, big_queries, st.integers(1, 12), block_params)
def test_block_max_top_k_on_skewed_corpora(corpus, query, k, blocks):
    vocab, index = build(corpus, **blocks)
    ref = BM25Okapi(corpus).get_scores(query)
    ids = [vocab.ids.get(t, -1) for t in query]
    np.testing.assert_allclose(index.scores(ids), ref, rtol=1e-9, atol=1e-12)
    got, got_scores = index.top(ids, k)
    matched = np.array([any(t in doc for t in query) for doc in corpus])
    want = top_k(ref, k, matched)
    assert len(got) == len(want)
    np.testing.assert_allclose(got_scores, ref[want], rtol=1e-9)
    np.testing.assert_allclose(ref[got], got_scores, rtol=1e-9)
    assert all(matched[got])


@settings(max_examples=200, deadline=None)
@given(corpora, st.data())
def test_patched_postings_equal_a_fresh_build(corpus, data):
    """Removing passages and appending others patches the postings exactly as building them anew would."""
    vocab = Vocabulary()
    rows = [vocab.encode(d) for d in corpus]
    removed = sorted(data.draw(st.sets(st.integers(0, len(corpus) - 1))))
    extra = data.draw(st.lists(st.lists(st.sampled_from(WORDS + ["new1", "new2"]), min_size=1, max_size=25),
                               max_size=5))
    extra_rows = [vocab.encode(d) for d in extra]
    old = Postings.from_forward(ForwardIndex.from_counts(rows), len(vocab))
    patched = old.patch(np.array(removed, np.int64), ForwardIndex.from_counts(extra_rows), len(vocab))
    kept = [r for i, r in enumerate(rows) if i not in set(removed)] + extra_rows
    fresh = Postings.from_forward(ForwardIndex.from_counts(kept), len(vocab))
    for name in ("indptr", "pids", "tfs", "doc_len"):
        np.testing.assert_array_equal(getattr(patched, name), getattr(fresh, name), err_msg=name)
    remaining = [d for i, d in enumerate(corpus) if i not in set(removed)] + extra
    if remaining:
        index = BM25Index.from_postings(patched)
        q = ["w1", "w1", "new1", "w3"]
        np.testing.assert_allclose(index.scores([vocab.ids.get(t, -1) for t in q]),
                                   BM25Okapi(remaining).get_scores(q), rtol=1e-9, atol=1e-12)


def test_large_counts_are_kept():
    corpus = [["a"] * 300 + ["b"], ["b", "c"], ["c"] * 70000]
    vocab, index = build(corpus)
    q = ["a", "c", "b"]
    np.testing.assert_allclose(index.scores([vocab.ids[t] for t in q]), BM25Okapi(corpus).get_scores(q),
                               rtol=1e-12)


def test_hashed_vocabulary():
    terms = [f"t{i}" for i in range(1000)] + ["dân", "dan_van", "33/ct-ttg"]
    hv = HashedVocabulary.from_terms(terms)
    assert len(hv) == len(terms)
    assert all(hv.get(t) == i for i, t in enumerate(terms))
    assert hv.lookup(["dân", "nope", "t5", "t5"]) == [1000, -1, 5, 5]
    assert "dan_van" in hv and "dan van" not in hv and hv.get("x") == -1
    more = hv.extend(["moi", "them"], len(terms))
    assert more.get("moi") == len(terms) and more.get("t7") == 7 and len(more) == len(terms) + 2
    assert HashedVocabulary.from_terms([]).lookup(["a"]) == [-1]


def test_hash_collisions_fall_back_to_names(monkeypatch):
    import indexer.engine as engine

    monkeypatch.setattr(engine, "term_hash", lambda t: 7 if t in ("x", "y") else len(t) * 1000 + ord(t[0]))
    hv = engine.HashedVocabulary.from_terms(["x", "abc", "y"])
    assert hv.exact == {"x": 0, "y": 2}
    assert [hv.get(t) for t in ("x", "abc", "y", "z")] == [0, 1, 2, -1]
    assert hv.lookup(["y", "abc", "x"]) == [2, 1, 0]


@given(st.lists(st.integers(0, 2**31 - 1) | st.integers(0, 5), max_size=300))
def test_stable_order_is_a_stable_argsort(keys):
    keys = np.array(keys, np.int32)
    assert stable_order(keys).tolist() == np.argsort(keys, kind="stable").tolist()
