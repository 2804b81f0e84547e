"""Releases: publish and roll back (``publishing.py``), the release gate (``gate.py``) and what
becomes of a staged release under ``releases.policy`` (``policy.py``). The storage format of
releases (``index/releases.py``) stays in index/, which the store needs; this package sits above
eval/, whose gold questions the gate asks, and is imported by cli/ and service/."""
