"""The engine ranks exactly as rank_bm25.BM25Okapi on the same tokens."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rank_bm25 import BM25Okapi

from indexer.engine import BM25Index, ForwardIndex, Vocabulary, okapi_idf, top_k

WORDS = [f"w{i}" for i in range(12)]
corpora = st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=25), min_size=1, max_size=40)
queries = st.lists(st.sampled_from(WORDS + ["unknown"]), min_size=1, max_size=12)


def build(corpus):
    vocab = Vocabulary()
    index = BM25Index.from_forward(ForwardIndex.from_counts(vocab.encode(d) for d in corpus), len(vocab))
    return vocab, index


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


@settings(max_examples=300, deadline=None)
@given(corpora, queries, st.integers(1, 8), st.booleans(), st.booleans(), st.randoms(use_true_random=False))
def test_pruned_top_k_equals_full_ranking(corpus, query, k, use_boost, use_mask, rnd):
    vocab, index = build(corpus)
    n = len(corpus)
    boost = np.array([rnd.choice([1.0, 1.15, 2.0]) for _ in range(n)]) if use_boost else None
    mask = np.array([rnd.random() < 0.7 for _ in range(n)]) if use_mask else None
    ids = [vocab.ids.get(t, -1) for t in query]
    got, got_scores = index.top(ids, k, boost, mask)
    full = index.scores(ids) * (boost if boost is not None else 1.0)
    matched = np.array([any(t in doc for t in query) for doc in corpus])
    if mask is not None:
        matched &= mask
    want = top_k(full, k, matched)
    np.testing.assert_allclose(got_scores, full[want], rtol=1e-12)
    np.testing.assert_allclose(full[got], got_scores, rtol=1e-12)
    assert len(set(got.tolist())) == len(got)
