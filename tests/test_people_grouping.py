"""The grouping algorithm on constructed descriptors shaped like dlib's: identities share a
common direction (two people ~0.82 alike) plus a random part of their own, and their faces are
noisy copies (two faces of one person ~0.97 alike): real descriptors' geometry, without a model."""
import numpy as np

from photoapp.core.people import grouping


COMMON = grouping.normalise(np.random.default_rng(99).normal(size=128))[0]


def identities(n, rng, dim=128):
    own = grouping.normalise(rng.normal(size=(n, dim)))
    return grouping.normalise(COMMON + 0.47 * own)


def faces_of(identity, k, rng, noise=0.17):
    dim = identity.shape[-1]
    return grouping.normalise(identity + noise * rng.normal(size=(k, dim)) / np.sqrt(dim))


def test_new_faces_form_one_person_per_identity_and_singletons_count():
    rng = np.random.default_rng(0)
    ids = identities(4, rng)
    faces = np.concatenate([faces_of(ids[0], 5, rng), faces_of(ids[1], 3, rng), faces_of(ids[2], 1, rng)])
    truth = [0] * 5 + [1] * 3 + [2]
    result = grouping.group_batch(faces, [], np.zeros((0, 128)))
    assert result.joined == [None] * 9
    groups = sorted(sorted(g) for g in result.new_groups)
    assert groups == [[0, 1, 2, 3, 4], [5, 6, 7], [8]]
    assert all(len({truth[i] for i in g}) == 1 for g in result.new_groups)


def test_faces_join_known_people_unless_the_user_removed_them():
    rng = np.random.default_rng(1)
    ids = identities(3, rng)
    centroids = np.stack([faces_of(ids[0], 6, rng).mean(0), faces_of(ids[1], 6, rng).mean(0)])
    new = np.concatenate([faces_of(ids[1], 2, rng), faces_of(ids[0], 1, rng), faces_of(ids[2], 2, rng)])
    rejected = [frozenset(), frozenset({20}), frozenset(), frozenset(), frozenset()]
    result = grouping.group_batch(new, [10, 20], centroids, rejected)
    # face 1 is person 20's, but the user took it out of 20 once: it must not go back
    assert result.joined[0] == 20 and result.joined[1] is None and result.joined[2] == 10
    assert result.joined[3] is None and result.joined[4] is None
    assert sorted(sorted(g) for g in result.new_groups) == [[1], [3, 4]]


def test_unrelated_people_never_merge_even_with_many_faces():
    rng = np.random.default_rng(2)
    ids = identities(40, rng)
    faces = np.concatenate([faces_of(i, 3, rng) for i in ids])
    result = grouping.group_batch(faces, [], np.zeros((0, 128)))
    truth = np.repeat(np.arange(40), 3)
    for g in result.new_groups:
        assert len({int(truth[i]) for i in g}) == 1
    assert 40 <= len(result.new_groups) <= 44  # a few splits are allowed: precision first


def test_merges_join_close_people_but_never_two_named_or_forbidden():
    rng = np.random.default_rng(3)
    ids = identities(2, rng)
    a1, a2 = faces_of(ids[0], 2, rng)
    b = faces_of(ids[1], 1, rng)[0]
    centroids = np.stack([a1, a2, b])
    pairs = grouping.merges([1, 2, 3], centroids, named=set(), touched={2})
    assert pairs == [(1, 2)]  # the older person is kept
    assert grouping.merges([1, 2, 3], centroids, named={2}, touched={2}) == [(2, 1)]
    assert grouping.merges([1, 2, 3], centroids, named={1, 2}, touched={2}) == []
    assert grouping.merges([1, 2, 3], centroids, named=set(), touched={2}, forbidden={frozenset((1, 2))}) == []


def test_big_batches_are_clustered_in_slices(monkeypatch):
    rng = np.random.default_rng(4)
    ids = identities(3, rng)
    faces = np.concatenate([faces_of(i, 4, rng) for i in ids])
    monkeypatch.setattr(grouping, "BATCH_LIMIT", 5)
    clusters = grouping.cluster_faces(faces, grouping.LINK_SIMILARITY)
    assert sorted(i for c in clusters for i in c) == list(range(12))
    truth = np.repeat(np.arange(3), 4)
    assert all(len({int(truth[i]) for i in c}) == 1 for c in clusters)
