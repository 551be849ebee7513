"""``X-Forwarded-*`` headers believed only from the reverse proxies in ``WEB_TRUSTED_PROXIES``.

Behind a trusted proxy, werkzeug's ``ProxyFix`` takes the client address, the scheme (so the session cookie
gets ``Secure`` behind HTTPS) and the sub-path from the proxy's headers. From any other client these headers
are dropped: otherwise anyone could pick their own address (and so escape the sign-in throttle) or scheme.
The address the request really came from stays in ``environ["cacherr.peer"]``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_KEYS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                  "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")
PEER_KEY = "cacherr.peer"


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    out: list[Network] = []
    for value in values:
        try:
            out.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            continue  # the settings validator refuses these; never trust on a typo
    return tuple(out)


def address_in(addr: str, networks: Sequence[Network]) -> bool:
    if not networks:  # no proxy trusted (the default): nothing to parse
        return False
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in networks)


_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~\-]+)+/?$")


def safe_prefix(prefix: str) -> bool:
    """A sub-path like ``/cacherr``: one leading slash, plain path segments, nothing a browser reads as a host."""
    return bool(_PREFIX_RE.fullmatch(prefix.strip()))


class TrustedProxyFix:
    """WSGI middleware: ``ProxyFix`` (one proxy) for requests from a trusted proxy, header removal otherwise."""

    def __init__(self, app: Any, trusted_of: Callable[[], Sequence[str]]) -> None:
        self.app = app
        self.proxied = ProxyFix(app, x_for=1, x_proto=1, x_prefix=1)
        self._trusted_of = trusted_of
        self._cache: tuple[tuple[str, ...], tuple[Network, ...]] = ((), ())

    def networks(self) -> tuple[Network, ...]:
        raw = tuple(self._trusted_of())
        if raw != self._cache[0]:
            self._cache = (raw, parse_networks(raw))
        return self._cache[1]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        peer = str(environ.get("REMOTE_ADDR") or "")
        environ[PEER_KEY] = peer
        if address_in(peer, self.networks()):
            prefix = environ.get("HTTP_X_FORWARDED_PREFIX")
            if prefix is not None and not safe_prefix(prefix):
                environ.pop("HTTP_X_FORWARDED_PREFIX")  # "//evil.example" would become every redirect's host
            return self.proxied(environ, start_response)
        for key in FORWARDED_KEYS:
            environ.pop(key, None)
        return self.app(environ, start_response)
