"""``rag collections list|create|delete``, ``rag ingest --collection`` and the warnings and errors
a user meets (docs/collections.md)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_cli


@pytest.mark.slow
def test_collections_from_the_command_line(tmp_path):
    data, netlog = tmp_path / "data", tmp_path / "netlog.txt"
    netlog.write_text("")
    folder = tmp_path / "hr"
    folder.mkdir()
    (folder / "leave.md").write_text("# Leave\n\nEvery employee has 25 days of annual leave.\n")

    def rag(*args: str):
        return run_cli(*args, data_dir=data, netlog=netlog)

    bad = rag("collections", "create", "Human Resources")
    assert bad.returncode == 2 and "not a valid collection name" in bad.stderr
    unknown = rag("ingest", str(folder), "--collection", "hr", "--quiet")
    assert unknown.returncode == 2 and "no such collection: 'hr'" in unknown.stderr
    assert "rag collections create hr" in unknown.stderr
    made = rag("collections", "create", "hr")
    assert made.returncode == 0, made.stderr
    again = rag("collections", "create", "hr")
    assert again.returncode == 2 and "already exists" in again.stderr
    done = rag("ingest", str(folder), "--collection", "hr", "--json", "--quiet")
    assert done.returncode == 0, done.stderr
    listed = json.loads(rag("collections", "list", "--json").stdout)
    assert listed == [{"name": "default", "documents": 0}, {"name": "hr", "documents": 1}]
    docs = json.loads(rag("documents", "list", "--json").stdout)
    assert [(d["doc_id"], d["collection"]) for d in docs] == [("hr::leave.md", "hr")]

    key = rag("keys", "create", "--name", "hr-and-typo", "--role", "read",
              "--collections", "hr,fnance")
    assert key.returncode == 0 and "warning: no such collection yet: fnance" in key.stderr

    asked = rag("ask", "How many days of annual leave?", "--collection", "hr", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"][0]["doc_id"] == "hr::leave.md"
    elsewhere = rag("ask", "How many days of annual leave?", "--collection", "default", "--json")
    assert json.loads(elsewhere.stdout)["citations"] == []
    missing = rag("ask", "How many days of annual leave?", "--collection", "nosuch")
    assert missing.returncode == 2 and "no such collection: 'nosuch'" in missing.stderr

    refused = rag("collections", "delete", "hr")
    assert refused.returncode == 2 and "holds 1 documents" in refused.stderr
    assert "--force" in refused.stderr
    assert rag("collections", "delete", "default").returncode == 2
    assert rag("collections", "delete", "nosuch").returncode == 2
    forced = rag("collections", "delete", "hr", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "deleted 1 documents of 'hr'" in forced.stdout
    assert json.loads(rag("collections", "list", "--json").stdout) == [
        {"name": "default", "documents": 0}]
    assert json.loads(rag("documents", "list", "--json").stdout) == []
