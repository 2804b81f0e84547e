"""``tests.helpers.run_cli_measured`` reports the child's own peak memory, not the test process's.

Linux carries a process's pre-exec high-water mark over exec, so ``ru_maxrss`` from ``wait4``
says at least what pytest itself holds; the hostile-folder ingest test failed CI that way
(3.1 GB reported for a 0.7 GB ingest). Here the test process holds 600 MB on purpose and the
child (``rag --help``) must still come out far below it.
"""

from __future__ import annotations

from pathlib import Path

from tests.helpers import run_cli_measured


def test_child_peak_excludes_the_parents_memory(tmp_path: Path):
    ballast = bytearray(600 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))  # touch every page
    netlog = tmp_path / "netlog.txt"
    netlog.write_text("")
    result, peak_mb = run_cli_measured("--help", data_dir=tmp_path / "data", netlog=netlog)
    assert result.returncode == 0, result.stderr
    assert 10 < peak_mb < 400, peak_mb  # a Python process, and not the 600 MB held here
    assert ballast[4096] == 1
