"""Print an index's state as JSON, from a fresh process and without loading the model.

Usage: python -m tests.inspect_index DATA_DIR QUERY_VECTOR_JSON
Used by the crash tests: the test process never opens the embedded index another process writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(data_dir: str, vector_json: str) -> None:
    import numpy as np

    from index.store import ChromaStore, make_client

    store = ChromaStore.existing(make_client("embedded", Path(data_dir)), "documents")
    assert store is not None
    versions = {f"{d}@{h}": n for (d, h), n in store.stored_versions().items()}
    hits = [c for c, _ in store.nearest(np.asarray(json.loads(vector_json)), 15)]
    release = store.release_id()  # every read below is made at this one release
    records = store.documents(release)
    visible = store.committed(hits, release)  # the read the retriever filters its candidates through
    manifest = store.releases.manifest(release) if release else {}
    print(json.dumps({
        "release": release,
        "manifest": {d: e[0] for d, e in manifest.items()},
        "releases": {r.release_id: r.state for r in store.releases.list()},
        "records": {d: {"hash": r.content_hash, "chunks": r.chunk_count, "dup_group": r.dup_group}
                    for d, r in records.items()},
        "versions": versions,
        "hits": [f"{c.doc_id}@{c.doc_hash}" for c, _ in visible],
        "hit_count_raw": len(hits),
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
