"""Two guards for an install on an open LAN (docs/security.md).

- The Host rule: while sign-in is off, a request whose ``Host`` is a DNS name nobody configured is refused.
  That is what a web page uses for DNS rebinding (its own name, re-pointed at the LAN address), so any page
  the owner visits could otherwise drive the API. IP literals, one-word names (``tower``), ``localhost`` and
  the names in ``WEB_ALLOWED_HOSTS`` pass.
- The API key throttle: wrong ``X-Api-Key`` values are counted per real peer, like failed sign-ins.
"""

from __future__ import annotations

import ipaddress

from cacherr.settings import Settings

HOST_EXEMPT_ENDPOINTS = frozenset({"health.health", "api.plex_webhook"})  # healthchecks; the webhook has a secret
API_KEY_FAIL_LIMIT = 20  # wrong API keys per window from one peer


def host_name(host_header: str) -> str:
    """The name part of a Host header: no port, no brackets, lower case, no final dot."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def host_allowed(host_header: str, settings: Settings) -> bool:
    """Whether a request with this Host may be answered while sign-in is off."""
    name = host_name(host_header)
    if not name or name == "localhost" or name.endswith(".localhost") or "." not in name:
        return True
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    for allowed in settings.WEB_ALLOWED_HOSTS:
        if name == allowed or (allowed.startswith(".") and name.endswith(allowed)):
            return True
    return False


HOST_REFUSED = ("this address is not allowed while sign-in is off (Host {host!r} is not configured): open "
                "Cacherr by its IP address or server name, add the name to WEB_ALLOWED_HOSTS, or turn on sign-in "
                "(docs/security.md)")
