"""Speed benchmarks (``rag bench``, ``python -m bench``) and the soak (``python -m bench.soak``,
which needs the ``bench`` extra: Locust). Installed, but imported only by those commands: never
by the service, the release gate or the rest of the ``rag`` command."""
