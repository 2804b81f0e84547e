"""The installed environment against known vulnerabilities (issue #15): ``pip-audit`` with PyPI's
vulnerability data, over every installed distribution but the project itself (editable).

Runs inside pytest, not as a step of scripts/test.sh, so that an audit that cannot be made is a
*skip with its reason* in the summary (``-ra``) rather than a step that passes silently, and so the
ignore file is checked in Python. It is the one test that reaches the network on purpose: from a
subprocess (the suite's network guard covers this process and the servers the tests start), with
``--timeout`` per request and the whole run bounded by ``AUDIT_TIMEOUT_S``.

Known vulnerabilities are either fixed by upgrading the pin or listed, each with its reason, in
``scripts/pip-audit-ignore.toml``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from tests.helpers import ROOT

IGNORE_FILE = ROOT / "scripts" / "pip-audit-ignore.toml"
AUDIT_TIMEOUT_S = 300
MIN_AUDITED = 0.5  # under this share of the dependencies audited, the audit says too little


def accepted(path=IGNORE_FILE) -> dict[str, dict[str, str]]:
    """The ignore file's entries by id; an entry without an id, a package or a reason fails."""
    entries = tomllib.loads(path.read_text())["ignore"]
    for entry in entries:
        missing = [k for k in ("id", "package", "reason") if not str(entry.get(k, "")).strip()]
        assert not missing, f"{path.name}: entry {entry} lacks {', '.join(missing)}"
    return {e["id"]: e for e in entries}


def judge(report: dict, ignore: dict) -> dict:
    """What a pip-audit JSON report says: the distributions audited and skipped, the
    vulnerabilities not accepted, the accepted ids no longer reported, and why nothing can be
    concluded (``skip``) when too few distributions were audited."""
    deps = report["dependencies"]
    skipped = [d for d in deps if "skip_reason" in d]
    audited = [d for d in deps if "skip_reason" not in d]
    found = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]

    def ids(v: dict) -> set[str]:
        return {v["id"], *v.get("aliases", [])}

    skip = None
    if len(audited) < MIN_AUDITED * len(deps) or not deps:
        example = skipped[0]["skip_reason"] if skipped else "no distribution listed"
        skip = (f"pip-audit audited only {len(audited)} of {len(deps)} installed distributions: "
                f"the registry's vulnerability data did not answer for the others (e.g. "
                f"{example!r}); nothing can be said about them")
    return {
        "audited": audited, "skipped": skipped, "found": found, "skip": skip,
        "unexpected": [f"{name} {version}: {v['id']} (fixed in "
                       f"{', '.join(v.get('fix_versions', [])) or 'no release yet'})"
                       for name, version, v in found if not ids(v) & set(ignore)],
        "stale": sorted(set(ignore) - {i for _, _, v in found for i in ids(v)}),
    }


def test_the_ignore_file_is_read_and_checked(tmp_path):
    assert all(e["reason"] for e in accepted().values())
    bad = tmp_path / "ignore.toml"
    bad.write_text('[[ignore]]\nid = "GHSA-1"\npackage = "x"\nreason = " "\n')
    with pytest.raises(AssertionError, match="lacks reason"):
        accepted(bad)


def _dep(name: str, *vulns: dict) -> dict:
    return {"name": name, "version": "1.0", "vulns": list(vulns)}


def test_the_audit_is_judged_on_what_was_audited():
    vuln = {"id": "PYSEC-1", "aliases": ["GHSA-a"], "fix_versions": ["1.1"]}
    ok = judge({"dependencies": [_dep("a"), _dep("b", vuln)]},
               {"GHSA-a": {"id": "GHSA-a", "package": "b", "reason": "r"}})
    assert ok["skip"] is None and ok["unexpected"] == [] and ok["stale"] == []
    bad = judge({"dependencies": [_dep("a"), _dep("b", vuln)]},
                {"GHSA-z": {"id": "GHSA-z", "package": "c", "reason": "r"}})
    assert bad["unexpected"] == ["b 1.0: PYSEC-1 (fixed in 1.1)"] and bad["stale"] == ["GHSA-z"]
    # Every version unknown to the service: nothing was audited, which is no pass.
    none = judge({"dependencies": [{"name": n, "skip_reason": f"Dependency not found on PyPI "
                                    f"and could not be audited: {n} (1.0)"} for n in "abc"]}, {})
    assert none["skip"] and "audited only 0 of 3" in none["skip"]


def run_audit() -> dict:
    """``pip-audit`` over this venv, as JSON; skips (with the reason) when it cannot reach the
    vulnerability service."""
    cmd = [sys.executable, "-m", "pip_audit", "--vulnerability-service", "pypi",
           "--skip-editable", "--progress-spinner", "off", "--format", "json", "--timeout", "15"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=AUDIT_TIMEOUT_S,
                              cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip-audit did not finish within {AUDIT_TIMEOUT_S} s (registry too slow)")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        if "ConnectionError" in proc.stderr or "NameResolution" in proc.stderr:
            pytest.skip(f"pip-audit could not reach PyPI's vulnerability data: {last[:300]}")
        raise AssertionError(f"pip-audit failed (exit {proc.returncode}): {proc.stderr[-2000:]}")


@pytest.mark.slow
def test_no_known_vulnerability_in_the_installed_dependencies():
    verdict = judge(run_audit(), accepted())
    if verdict["skip"]:
        pytest.skip(verdict["skip"])
    assert not verdict["unexpected"], (
        "known vulnerabilities (upgrade the pin, or list each with its reason in "
        f"{IGNORE_FILE.name}):\n" + "\n".join(verdict["unexpected"]))
    assert not verdict["stale"], (
        f"{IGNORE_FILE.name} lists vulnerabilities no longer reported: {verdict['stale']}")
    print(f"pip-audit: {len(verdict['audited'])} distributions audited, "
          f"{len(verdict['skipped'])} not found on PyPI "
          f"({', '.join(d['name'] for d in verdict['skipped'])}), {len(verdict['found'])} "
          f"known vulnerabilities, all accepted in {IGNORE_FILE.name}")
