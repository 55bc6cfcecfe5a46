"""Outbound HTTP that reaches public addresses only, even when DNS changes its answer.

Each new connection resolves its host once, refuses it if any answer is not allowed, and opens the
socket to an address from that same answer; TLS still uses the host name (SNI, certificate check)
and the Host header is untouched. No second lookup happens that a rebinding DNS server could use.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable

import httpcore
import httpx

from newsbot.web.addresses import Address, is_public, resolve_allowed


class _CheckedBackend(httpcore.SyncBackend):
    """Connects to the checked addresses of a host, never to a fresh lookup of its name."""

    def __init__(self, allow: Callable[[Address], bool]) -> None:
        self.allow = allow

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        failure: Exception | None = None
        for address in resolve_allowed(host, port, self.allow):
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport (no proxies) whose every connection goes through `_CheckedBackend`."""

    def __init__(self, allow: Callable[[Address], bool] = is_public, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
                                             network_backend=_CheckedBackend(allow))
