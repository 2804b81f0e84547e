"""MinHash near-duplicate detection (pure logic; the corpus-level check is in test_sync.py)."""

import random

from index.near_dup import Signature, containment, duplicate_groups, signature


def text(seed: int, n: int = 400) -> str:
    rng = random.Random(seed)
    vocab = [f"w{seed}x{i}" for i in range(300)] + [f"shared{i}" for i in range(30)]
    return " ".join(rng.choice(vocab) for _ in range(n))


def test_containment_estimates():
    a = text(1)
    assert containment(signature(a), signature(a)) == 1.0
    # a short excerpt is contained in its source even though their Jaccard is low
    assert containment(signature(a[: len(a) // 4]), signature(a)) > 0.8
    assert containment(signature(a), signature(text(2))) < 0.1
    assert containment(signature(""), signature(a)) == 0.0


def test_groups_are_transitive_and_named_by_the_smallest_id():
    a, b = text(1).split(), text(2).split()
    first, bridge, last = " ".join(a), " ".join(a[:200] + b[200:]), " ".join(b)
    sigs = {"m.txt": signature(first), "b.txt": signature(bridge), "x.txt": signature(last),
            "z.txt": signature(text(4))}
    assert containment(sigs["m.txt"], sigs["x.txt"]) < 0.1  # linked only through the bridge
    groups = duplicate_groups(sigs, threshold=0.3)
    assert groups == {"m.txt": "b.txt", "b.txt": "b.txt", "x.txt": "b.txt", "z.txt": "z.txt"}


def test_signature_round_trips_through_the_manifest_string():
    sig = signature(text(5))
    back = Signature.decode(sig.encode())
    assert back is not None and back.size == sig.size and (back.mins == sig.mins).all()
    assert Signature.decode("") is None and Signature.decode("3:AAAA") is None
