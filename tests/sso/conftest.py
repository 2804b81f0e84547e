"""A real OpenID Connect provider for the staff sign-in tests (docs/sso.md, issue #26).

``tests/sso/provider/provider.mjs`` runs oidc-provider (a certified OpenID provider, pinned in
``package.json`` and ``package-lock.json``) under Node on a free 127.0.0.1 port. Its packages are
installed once with ``npm ci`` into a cache keyed by the lockfile's sha256
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``rag-tests/oidc-provider-<hash>``) and reused.

Use ``start_provider(tmp_path, clients=[...], users={...})`` (a context manager: it stops the
provider on exit) or the session fixture ``oidc_provider_factory`` (providers it starts stop at the
end of the session). ``OidcProvider.sign_in`` drives the login form with httpx; a browser fills
``input[name=login]`` and ``input[name=password]`` and clicks ``button[type=submit]`` ("Sign-in").
Tests that use the fixtures are marked ``slow``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import selectors
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.helpers import free_port

PROVIDER_DIR = Path(__file__).resolve().parent / "provider"
MIN_NODE = (20, 18)  # oidc-provider 9: URL.parse, WebCrypto (Debian bookworm's nodejs 18 fails)
CLIENT_ID, CLIENT_SECRET = "rag", "rag-test-secret"
USERS = {
    "alice": {"password": "alice-pw", "email": "alice@example.org", "name": "Alice Archer",
              "groups": ["hr-staff"]},
    "bob": {"password": "bob-pw", "email": "bob@example.org", "name": "Bob Baker",
            "groups": ["rag-admins"]},
    "carol": {"password": "carol-pw", "email": "carol@example.org", "name": "Carol Chen",
              "groups": []},
}


def client(redirect_uris: list[str], post_logout_redirect_uris: list[str] = (), *,
           client_id: str = CLIENT_ID, client_secret: str | None = CLIENT_SECRET,
           **metadata: object) -> dict:
    """One client of the provider (confidential, code + refresh_token grants); ``metadata`` adds
    client metadata, e.g. ``token_endpoint_auth_method="client_secret_post"``."""
    entry = {"client_id": client_id, "redirect_uris": list(redirect_uris),
             "post_logout_redirect_uris": list(post_logout_redirect_uris),
             "grant_types": ["authorization_code", "refresh_token"], **metadata}
    if client_secret is not None:
        entry["client_secret"] = client_secret
    return entry


def _node_version() -> tuple[int, ...] | None:
    if not (shutil.which("node") and shutil.which("npm")):
        return None
    out = subprocess.run(["node", "-p", "process.versions.node"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return tuple(int(p) for p in out.strip().split("."))


def _ensure_node() -> None:
    """Node and npm, from Debian when missing (as root); skipped only when they cannot be had."""
    version = _node_version()
    if version is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "nodejs", "npm"], env=env,
                       check=False, timeout=900)
        version = _node_version()
    if version is None:
        message = "needs node and npm (scripts/test.sh installs Debian's nodejs npm as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    if version[:2] < MIN_NODE:
        pytest.fail(f"oidc-provider 9 needs Node >= {'.'.join(map(str, MIN_NODE))}; "
                    f"node is {'.'.join(map(str, version))}")


def node_modules() -> Path:
    """The provider's node_modules, installed by ``npm ci`` once per lockfile (file-locked)."""
    _ensure_node()
    lock = PROVIDER_DIR / "package-lock.json"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag-tests"
    cache = base / f"oidc-provider-{digest[:16]}"
    done = cache / ".installed"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f"{cache.name}.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(cache, ignore_errors=True)
            cache.mkdir()
            for name in ("package.json", "package-lock.json"):
                shutil.copy(PROVIDER_DIR / name, cache / name)
            run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                                 cwd=cache, capture_output=True, text=True, timeout=900)
            if run.returncode != 0:
                pytest.fail(f"npm ci for the OIDC provider failed in {cache}:\n"
                            f"{run.stdout}{run.stderr}")
            done.write_text(digest)
    return cache / "node_modules"


@dataclass
class OidcProvider:
    """A running provider: ``issuer`` (http://127.0.0.1:PORT), the ``config`` it was given and
    its ``discovery`` document; ``set_groups``/``disable``/``enable`` change a user (in effect from
    the next token or refresh)."""

    issuer: str
    config: dict = field(repr=False)
    process: subprocess.Popen
    log: Path
    discovery: dict = field(default_factory=dict, repr=False)

    def url(self, path: str) -> str:
        return self.issuer + path

    def _control(self, user: str, action: str, body: object = None) -> dict:
        reply = httpx.post(self.url(f"/__test/users/{user}/{action}"), json=body, timeout=10)
        reply.raise_for_status()
        return reply.json()

    def set_groups(self, user: str, groups: list[str]) -> dict:
        return self._control(user, "groups", list(groups))

    def disable(self, user: str) -> dict:
        return self._control(user, "disable")

    def enable(self, user: str) -> dict:
        return self._control(user, "enable")

    def sign_in(self, http: httpx.Client, url: str, user: str, password: str) -> httpx.Response:
        """GET ``url`` (an authorization URL, or an app route that redirects to one), follow the
        provider's redirects and log in as ``user`` on its form; return the first response that
        would leave the provider (the redirect to the client's redirect_uri, not followed) or the
        page where the walk stops (the 401 refusal of a bad login)."""
        reply = http.get(url)
        for _ in range(12):
            location = reply.headers.get("location")
            if location:
                target = urljoin(str(reply.url), location)
                if not target.startswith(self.issuer + "/"):
                    return reply
                reply = http.get(target)
            elif reply.status_code == 200 and 'name="login"' in reply.text:
                action, hidden = page_form(reply)
                reply = http.post(action, data={**hidden, "login": user, "password": password})
            else:
                return reply
        raise AssertionError(f"sign-in did not leave the provider: {reply.url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_ready(process: subprocess.Popen, log: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    # selectors (epoll), not select.select: late in a long test session the pipe's descriptor
    # can be above FD_SETSIZE (1024), which select() refuses ("filedescriptor out of range")
    with selectors.DefaultSelector() as waiting:
        waiting.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if waiting.select(0.2):
                line = process.stdout.readline()
                if line.startswith("READY "):
                    return line.split(" ", 1)[1].strip()
            if process.poll() is not None:
                break
    process.kill()
    pytest.fail(f"the OIDC provider did not start:\n{log.read_text()}")


def start_provider(tmp_path: Path, clients: list[dict] | None = None,
                   users: dict[str, dict] | None = None, *, access_token_ttl: int = 300,
                   port: int | None = None, **settings: object) -> OidcProvider:
    """Start a provider for ``clients`` (see ``client``; default: client ``rag`` redirecting to
    nowhere) and ``users`` (default ``USERS``: alice, bob, carol, password ``<id>-pw``).
    ``settings`` go into its config too (``id_token_ttl``, ``refresh_token_ttl``). Stop it with
    ``.stop()`` or use it as a context manager."""
    modules = node_modules()
    port = port or free_port()
    issuer = f"http://127.0.0.1:{port}"
    run = tmp_path / f"oidc-provider-{port}"
    run.mkdir(parents=True)
    # ES modules resolve packages next to the script (not NODE_PATH): a copy beside a link.
    shutil.copy(PROVIDER_DIR / "provider.mjs", run / "provider.mjs")
    (run / "node_modules").symlink_to(modules, target_is_directory=True)
    config = {"issuer": issuer, "access_token_ttl": access_token_ttl,
              "clients": clients if clients is not None else [client(["http://127.0.0.1:9/cb"])],
              "users": users if users is not None else USERS, **settings}
    (run / "config.json").write_text(json.dumps(config, indent=1))
    log = run / "provider.log"
    with open(log, "w") as err:
        process = subprocess.Popen(["node", "provider.mjs", "config.json", str(port)], cwd=run,
                                   stdout=subprocess.PIPE, stderr=err, text=True)
    provider = OidcProvider(issuer, config, process, log)
    try:
        assert _wait_ready(process, log) == issuer
        reply = httpx.get(provider.url("/.well-known/openid-configuration"), timeout=10)
        reply.raise_for_status()
        provider.discovery = reply.json()
    except BaseException:
        provider.stop()
        raise
    return provider


@pytest.fixture(scope="session")
def oidc_provider_factory(tmp_path_factory) -> Iterator:
    """``start(clients=None, users=None, **settings) -> OidcProvider``; all stop at session end."""
    started: list[OidcProvider] = []

    def start(clients: list[dict] | None = None, users: dict[str, dict] | None = None,
              **settings: object) -> OidcProvider:
        provider = start_provider(tmp_path_factory.mktemp("oidc"), clients, users, **settings)
        started.append(provider)
        return provider

    yield start
    for provider in started:
        provider.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "oidc_provider_factory" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def code_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def page_form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    """The first form of ``page``: its absolute action and its hidden inputs."""
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    assert action, f"no form in the provider's page ({page.status_code}):\n{page.text[:2000]}"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return urljoin(str(page.url), unescape(action.group(1))), hidden
