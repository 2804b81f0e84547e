"""An .eml uploaded over HTTP (the real app, real model, real Chroma): its attachments are
indexed in the uploader's collection, seen by that collection's keys only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers import make_settings
from tests.index.test_mail_attachments import BOATS, harbour_mail

ADMIN = "bootstrap-admin-key-0123456789abcdef"


def test_uploaded_mail_attachments_in_the_uploaders_collection(tmp_path, embedder):
    from rag.factory import build_pipeline
    from service.app import create_app
    from service.keys import KeyStore, keys_path

    settings = make_settings(tmp_path / "data", server={"admin_api_key": ADMIN})
    pipeline = build_pipeline(settings, embedder=embedder)
    for name in ("harbour", "other"):
        pipeline.store.collections.create(name)
    keys = KeyStore(keys_path(settings.data_dir))
    admin = {"Authorization": f"Bearer {keys.create('up', 'admin', ['harbour'])}"}
    other = {"Authorization": f"Bearer {keys.create('other', 'read', ['other'])}"}
    with TestClient(create_app(settings, pipeline)) as client:
        sent = client.post("/v1/documents", headers=admin, data={"collection": "harbour"},
                           files={"files": ("harbour.eml", harbour_mail(("survey.pdf",
                                                                         "broken.pdf")),
                                            "message/rfc822")})
        assert sent.status_code == 207, sent.text  # the mail indexed, one attachment failed
        (mail,) = sent.json()["files"]
        assert (mail["doc_id"], mail["status"]) == ("harbour::harbour.eml", "added")
        kids = {a["filename"]: a for a in mail["attachments"]}
        assert kids["survey.pdf"]["status"] == "added"
        assert kids["survey.pdf"]["doc_id"] == "harbour::harbour.eml#survey.pdf"
        assert kids["broken.pdf"]["status"] == "failed" and "corrupt PDF" in \
            kids["broken.pdf"]["reason"]
        listed = client.get("/v1/documents?collection=harbour", headers=admin).json()
        assert {d["doc_id"] for d in listed["documents"]} == {
            "harbour::harbour.eml", "harbour::harbour.eml#survey.pdf"}
        answer = client.post("/v1/ask", json={"question": BOATS}, headers=admin).json()
        assert not answer["refused"] and answer["citations"][0]["doc_id"] == \
            "harbour::harbour.eml#survey.pdf"
        elsewhere = client.post("/v1/ask", json={"question": BOATS}, headers=other).json()
        assert "317" not in str(elsewhere) and "survey.pdf" not in str(elsewhere)
