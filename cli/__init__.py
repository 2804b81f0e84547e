"""The ``rag`` command line: the composition root that wires ingest, answering, serving and eval.

The only package allowed to import every other one (see docs/architecture.md)."""
