"""Loaded by subprocesses under test (PYTHONPATH): forbid every non-loopback connection.

Any attempt is written to $RAG_NETLOG and fails, so a test can prove nothing reached the network.
"""

import os
import socket

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_LOOPBACK = ("127.", "::1", "localhost")


def _check(sock, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if sock.family == getattr(socket, "AF_UNIX", None) or str(host).startswith(_LOOPBACK):
        return
    log = os.environ.get("RAG_NETLOG")
    if log:
        with open(log, "a") as fh:
            fh.write(f"{host}\n")
    raise ConnectionRefusedError(f"network access blocked in tests: {address!r}")


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


socket.socket.connect = _connect
socket.socket.connect_ex = _connect_ex

_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_LOOPBACK) and host not in ("", "0.0.0.0"):
        log = os.environ.get("RAG_NETLOG")
        if log:
            with open(log, "a") as fh:
                fh.write(f"dns:{host}\n")
        raise socket.gaierror(f"DNS blocked in tests: {host}")
    return _real_getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
