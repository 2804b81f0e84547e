"""Soak: the real service under mixed load for minutes, counting every wrong answer and watching
the server's memory. ``python -m bench.soak --minutes 10 --clients 16 --out soak.json``.

``rag serve --corpus CORPUS`` runs in its own process on a free 127.0.0.1 port with a fresh data
directory (real model, embedded Chroma, ``releases.policy = always``, a read and an admin key).
Locust, used as a library in this process, then runs for ``--minutes`` (or until
``--max-requests`` requests were made, whichever comes first):

- ``--clients`` readers, each asking the sample gold questions in turn, no think time, one
  request in two ``POST /v1/ask`` (200 with an answer and its release) and one in two
  ``POST /v1/ask/stream`` (200, and the events must end with ``done``; an ``error`` event or a
  stream that just stops is an error); every 25th is an empty question, which must be a 422.
- one uploader: uploads one of 8 rolling document ids with new text (200, published), deletes a
  live one (200) now and then, and sends deliberately bad requests (a ``../`` path: 422; the
  delete of a missing document: 404).
- one releaser: lists the releases, rolls back (200, naming the published one as ``previous``),
  publishes that one again (200), checks the listing names it, and now and then publishes a
  release that does not exist (404).

The two writers take turns (one lock, on the client side): each write then has one right answer,
so any other status is an error. (Two writes at once in one server wait for each other,
``ingest.lock_wait_seconds``; with ``--concurrent-writers`` each write's right answer depends on
the other's timing, see docs/reliability.md.) A deliberately bad request answered as it should be is a
*refusal*, counted apart from errors.

The server's RSS (``VmRSS`` of ``/proc/PID/status``) and the load average are read every 5 s. The
run fails (exit 1) on any error, a kind of request never made, no refusal, or an RSS over
``bench/soak_report.py``'s bound. The JSON report holds every request's timing.

Locust patches this whole process with gevent when it is imported, which is why it is imported
here first and why this module only ever runs as its own process (the test runs the command).
"""

# isort: off
try:
    import locust  # noqa: F401  (first: gevent's monkey patching must precede the other imports)
except ImportError:  # pragma: no cover
    raise SystemExit("python -m bench.soak needs Locust, which the 'bench' extra installs: "
                     "pip install -e '.[bench]' (or scripts/setup.sh bench)") from None
# isort: on

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import types
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import gevent
from gevent.lock import Semaphore
from locust import HttpUser, constant, task
from locust.env import Environment

from bench.api import ServiceProcess
from bench.report import loadavg
from bench.soak_report import Memory, Sample, failures, markdown_table, summary
from eval.dataset import load_qa

READ_KEY = "soak-read-key-0123456789"
ADMIN_KEY = "soak-admin-key-0123456789"
SLOTS = 8  # rolling document ids of the uploader: the index stays the same size
SAMPLE_EVERY_S = 5.0
TIMEOUT_S = 120.0  # one request
STOP_GRACE_S = 120.0  # in-flight requests may finish after the deadline


@dataclass
class SoakPlan:
    minutes: float = 10.0
    clients: int = 16
    max_requests: int = 200_000
    warmup_s: float | None = None  # default: 10% of the run, between 30 and 60 s
    corpus: Path = Path(os.environ.get("RAG_SHARED_DIR", "../shared")) / "corpus"
    writers_take_turns: bool = True
    questions: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.minutes * 60

    @property
    def warmup(self) -> float:
        return self.warmup_s if self.warmup_s is not None else min(60.0, max(
            30.0, self.seconds * 0.1))


def check_plan(plan: SoakPlan) -> None:
    """Refuse a plan that cannot run, saying why (before the server is started)."""
    if not 0 < plan.minutes <= 120:
        raise SystemExit(f"--minutes must be in (0, 120] (got {plan.minutes})")
    if not 1 <= plan.clients <= 64:
        raise SystemExit(f"--clients must be 1..64 (got {plan.clients})")
    if plan.max_requests < 1:
        raise SystemExit(f"--max-requests must be positive (got {plan.max_requests})")
    if not plan.corpus.is_dir():
        raise SystemExit(f"the corpus folder {plan.corpus} does not exist (--corpus)")


def rss_mb(pid: int) -> float:
    """The process's resident set (``VmRSS``), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        raise RuntimeError(f"the server process {pid} exited during the soak (its log is kept "
                           "beside the report)") from None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def _sse(text: str) -> list[tuple[str, str]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            events.append((fields["event"], fields.get("data", "")))
    return events


def _expect(r: Any, status: int, check: Any = None) -> None:
    """Mark ``r`` (a Locust response in a ``catch_response`` block) ok when its status is
    ``status`` and ``check(body)`` holds; a failure says what came instead."""
    try:
        if r.status_code == 0:  # no HTTP response: the connection failed or timed out
            r.failure(f"no response: {type(r.error).__name__}: {r.error}")
        elif r.status_code != status:
            r.failure(f"HTTP {r.status_code} instead of {status}: {r.text[:300]}")
        elif check is not None and not check(r.json()):
            r.failure(f"unexpected body: {r.text[:300]}")
        else:
            r.success()
    except Exception as exc:  # noqa: BLE001  (a body that is not what was expected)
        r.failure(f"{type(exc).__name__}: {exc}")


READ = {"Authorization": f"Bearer {READ_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}


class _SoakUser(HttpUser):
    """What the soak's users share, bound by :func:`user_classes`: the server's ``host``, the
    gold ``questions``, the writers' lock (``writing``) and the readers' numbering."""

    abstract = True
    questions: list[str] = []
    writing: Any = contextlib.nullcontext()
    readers: Any = None


class Reader(_SoakUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.n = next(self.readers) * 7  # readers start at different questions

    @task
    def read(self) -> None:
        self.n += 1
        question = self.questions[self.n % len(self.questions)]
        if self.n % 25 == 0:
            with self.client.post("/v1/ask", json={"question": ""}, headers=READ,
                                  name="bad ask: empty question", catch_response=True,
                                  timeout=TIMEOUT_S) as r:
                _expect(r, 422, lambda b: b["error"]["message"])
        elif self.n % 2:
            with self.client.post("/v1/ask", json={"question": question}, headers=READ,
                                  name="ask", catch_response=True, timeout=TIMEOUT_S) as r:
                _expect(r, 200, lambda b: b["answer"] is not None and b["release"])
        else:
            self._stream(question)

    def _stream(self, question: str) -> None:
        with self.client.post("/v1/ask/stream", json={"question": question}, headers=READ,
                              name="stream", catch_response=True, stream=True,
                              timeout=TIMEOUT_S) as r:
            try:
                body = r.content.decode() if r.status_code == 200 else r.text
                # The time until the last event, not the first byte.
                r.request_meta["response_time"] = (
                    time.time() - r.request_meta["start_time"]) * 1000
                events = _sse(body) if r.status_code == 200 else []
            except Exception as exc:  # noqa: BLE001  (a cut connection mid-stream)
                r.failure(f"stream broken: {type(exc).__name__}: {exc}")
                return
            last = events[-1][0] if events else None
            if r.status_code == 0:
                r.failure(f"no response: {type(r.error).__name__}: {r.error}")
            elif r.status_code != 200:
                r.failure(f"HTTP {r.status_code}: {body[:300]}")
            elif last == "done":
                r.success()
            elif last == "error":
                r.failure(f"stream ended with an error event: {events[-1][1][:300]}")
            else:
                r.failure(f"stream ended without done or error (last event {last!r})")


class Uploader(_SoakUser):
    fixed_count = 1
    wait_time = constant(0.5)

    def on_start(self) -> None:
        self.n = 0
        self.live: set[str] = set()

    @task
    def write(self) -> None:
        with self.writing:
            self.n += 1
            n = self.n
            if n % 5 == 0:
                with self.client.post("/v1/documents", headers=ADMIN, data={
                        "path": "../escape.txt"}, files=[("files", (
                            "x.txt", b"Outside.", "text/plain"))],
                        name="bad upload: ../ path", catch_response=True,
                        timeout=TIMEOUT_S) as r:
                    _expect(r, 422, lambda b: b["error"]["type"] == "InvalidDocumentId")
                with self.client.delete("/v1/documents/soak/never-uploaded.txt",
                                        headers=ADMIN, name="bad delete: missing document",
                                        catch_response=True, timeout=TIMEOUT_S) as r:
                    _expect(r, 404, lambda b: b["error"]["type"] == "NotFoundError")
            elif n % 5 == 3 and self.live:
                doc = sorted(self.live)[n % len(self.live)]
                with self.client.delete(f"/v1/documents/{doc}", headers=ADMIN,
                                        name="delete", catch_response=True,
                                        timeout=TIMEOUT_S) as r:
                    _expect(r, 200, lambda b: b["deleted"] and
                            b["release_outcome"] == "published")
                self.live.discard(doc)
            else:
                doc = f"soak/note-{n % SLOTS}.txt"
                text = (f"Soak note {n}\n\nThe night watch of the Kilnsea lighthouse logged "
                        f"{n * 7} ships on shift {n}. Note {n} was written at "
                        f"{time.strftime('%H:%M:%S')}.\n").encode()
                with self.client.post("/v1/documents", headers=ADMIN, data={"path": doc},
                                      files=[("files", ("note.txt", text, "text/plain"))],
                                      name="upload", catch_response=True,
                                      timeout=TIMEOUT_S) as r:
                    _expect(r, 200, lambda b: b["release_outcome"] == "published")
                self.live.add(doc)


class Releaser(_SoakUser):
    fixed_count = 1
    wait_time = constant(1.0)

    def on_start(self) -> None:
        self.n = 0

    @task
    def release(self) -> None:
        with self.writing:
            self.n += 1
            if self.n % 5 == 0:
                with self.client.post("/v1/releases/r999999/publish", headers=ADMIN,
                                      name="bad publish: no such release",
                                      catch_response=True, timeout=TIMEOUT_S) as r:
                    _expect(r, 404, lambda b: b["error"]["type"] == "NotFoundError")
            listing = self._releases()
            if listing is None or not any(x["state"] == "retired"
                                          for x in listing["releases"]):
                return  # nothing to roll back to yet
            current = listing["published"]
            with self.client.post("/v1/releases/rollback", headers=ADMIN, name="rollback",
                                  catch_response=True, timeout=TIMEOUT_S) as r:
                _expect(r, 200, lambda b: b["previous"] == current and
                        b["published"] != current)
            with self.client.post(f"/v1/releases/{current}/publish", headers=ADMIN,
                                  name="publish", catch_response=True,
                                  timeout=TIMEOUT_S) as r:
                _expect(r, 200, lambda b: b["published"] == current)
            after = self._releases()
            if after is not None and after["published"] != current:
                self.environment.events.request.fire(
                    request_type="CHECK", name="releases", response_time=0,
                    response_length=0, response=None, context={}, start_time=time.time(),
                    url="/v1/releases", exception=AssertionError(
                        f"published is {after['published']!r} after publishing {current!r}"))

    def _releases(self) -> dict[str, Any] | None:
        with self.client.get("/v1/releases", headers=ADMIN, name="releases",
                             catch_response=True, timeout=TIMEOUT_S) as r:
            _expect(r, 200, lambda b: b["published"])
            return r.json() if r.status_code == 200 else None


def user_classes(url: str, questions: list[str],
                 writers_take_turns: bool = True) -> list[type[HttpUser]]:
    """The readers, the uploader and the releaser, bound to ``url``; the writers share a lock
    (unless ``writers_take_turns`` is false: then their writes may meet in the server)."""
    shared = {"host": url, "questions": questions,
              "writing": Semaphore() if writers_take_turns else contextlib.nullcontext(),
              "readers": iter(range(10**6))}
    return [types.new_class(user.__name__, (user,), exec_body=lambda ns: ns.update(shared))
            for user in (Reader, Uploader, Releaser)]


def drive(url: str, pid: int, plan: SoakPlan) -> tuple[list[Sample], list[Memory], float]:
    """Run the load against ``url`` (the server process ``pid``) until the plan's time or
    request count is reached; every request and memory sample."""
    samples: list[Sample] = []
    memory: list[Memory] = []
    env = Environment(user_classes=user_classes(url, plan.questions, plan.writers_take_turns),
                      stop_timeout=STOP_GRACE_S)
    runner = env.create_local_runner()
    begin = time.time()

    stopping: list[gevent.Greenlet] = []

    def stop() -> None:
        if not stopping:
            stopping.append(gevent.spawn(runner.stop))

    def on_request(name: str, response_time: float, exception: BaseException | None,
                   start_time: float, **_: Any) -> None:
        samples.append(Sample(t=round(start_time - begin, 3), kind=name,
                              ms=round(response_time, 2), ok=exception is None,
                              detail="" if exception is None else str(exception)[:500]))
        if len(samples) >= plan.max_requests:
            stop()

    def sample_memory() -> None:
        while os.path.exists(f"/proc/{pid}"):  # a server that died is reported at the end
            memory.append(Memory(t=round(time.time() - begin, 2), rss_mb=rss_mb(pid),
                                 load1=loadavg()[0]))
            gevent.sleep(SAMPLE_EVERY_S)

    env.events.request.add_listener(on_request)
    sampler = gevent.spawn(sample_memory)
    users = plan.clients + 2
    runner.start(users, spawn_rate=users)
    stopper = gevent.spawn_later(plan.seconds, stop)
    # runner.stop lets each user finish its request (up to STOP_GRACE_S), then returns.
    while not (stopping and stopping[0].ready()):
        if time.time() - begin > plan.seconds + STOP_GRACE_S + 60:
            raise RuntimeError("the load did not stop within its grace period")
        gevent.sleep(0.5)
    seconds = time.time() - begin
    stopper.kill()
    sampler.kill()
    memory.append(Memory(t=round(seconds, 2), rss_mb=rss_mb(pid), load1=loadavg()[0]))
    runner.quit()
    return samples, memory, seconds


def run(plan: SoakPlan, workdir: Path, log: Path) -> dict[str, Any]:
    """Start the service (its output to ``log``), load it, stop it; the report
    (``bench.soak_report.summary``) with the plan, the start-up time and every request."""
    check_plan(plan)
    if not plan.questions:
        plan.questions = [q.question for q in load_qa(files("eval") / "gold" /
                                                      "sample_qa.jsonl")]
    env = {"RAG_SERVER__READ_API_KEY": READ_KEY, "RAG_SERVER__ADMIN_API_KEY": ADMIN_KEY,
           "RAG_RELEASES__POLICY": "always"}
    with ServiceProcess(plan.corpus.resolve(), workdir / "data", log, env=env) as server:
        samples, memory, seconds = drive(server.url, server.pid, plan)
    result = summary(samples, memory, plan.warmup, seconds)
    result.update(plan={k: (str(v) if isinstance(v, Path) else v)
                        for k, v in asdict(plan).items() if k != "questions"},
                  warmup_s=plan.warmup, server_start_s=round(server.start_seconds, 1),
                  load_average_end=loadavg(), cpu_count=os.cpu_count(),
                  samples=[asdict(s) for s in samples], memory_samples=[asdict(m) for m in memory])
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=16, help="concurrent readers (plus one "
                   "uploader and one releaser)")
    p.add_argument("--max-requests", type=int, default=200_000,
                   help="stop after this many requests even before --minutes")
    p.add_argument("--warmup", type=float, default=None, help="seconds before the RSS the bound "
                   "is measured from (default 10%% of the run, 30..60 s)")
    p.add_argument("--corpus", type=Path, default=SoakPlan.corpus)
    p.add_argument("--concurrent-writers", action="store_true", help="let the uploader and the "
                   "releaser write at the same time (their writes may then be refused with 409)")
    p.add_argument("--out", type=Path, required=True, help="the JSON report")
    args = p.parse_args(argv)
    plan = SoakPlan(minutes=args.minutes, clients=args.clients, max_requests=args.max_requests,
                    warmup_s=args.warmup, corpus=args.corpus,
                    writers_take_turns=not args.concurrent_writers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log = args.out.with_suffix(".server.log")  # kept: an error's traceback is there
    with tempfile.TemporaryDirectory(prefix="rag-soak-") as tmp:
        result = run(plan, Path(tmp), log)
    result["server_log"] = str(log)
    problems = failures(result, min_requests=plan.clients)
    result["failures"] = problems
    args.out.write_text(json.dumps(result, indent=1))
    mem = result["memory"]
    print(markdown_table(result))
    print(f"\n{result['requests']} requests in {result['seconds']} s, {result['errors']} errors, "
          f"{result['refusals']} refusals; server RSS start {mem['start_mb']} MB, warm "
          f"{mem['warm_mb']} MB, end {mem['end_mb']} MB (bound {mem['limit_mb']} MB, slope "
          f"{mem['slope_mb_per_min']} MB/min); load average at the end "
          f"{result['load_average_end']}")
    for problem in problems:
        print(f"soak: FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
