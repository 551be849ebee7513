"""Secret redaction, one of it: which strings are secret (``secret_terms``) and how they are hidden
(``logs.redact``). The log filter (set up in bootstrap) and the API's log tail use the same terms."""

from __future__ import annotations

import re

from pydantic import SecretStr

from cacherr.logs import redact
from cacherr.settings import SECRET_FIELDS, Settings

__all__ = ["redact", "secret_terms"]


def secret_terms(settings: Settings) -> tuple[str, ...]:
    """Every configured secret, and the parts of secret URLs a library may log in another form
    (``discord://id/TOKEN`` is posted to ``https://discord.com/api/webhooks/id/TOKEN``); longest first."""
    terms: set[str] = set()
    for name in SECRET_FIELDS:
        value = getattr(settings, name)
        for item in value if isinstance(value, list) else (value,):
            raw = item.get_secret_value() if isinstance(item, SecretStr) else str(item)
            terms.add(raw)
            if "://" in raw:
                rest = raw.split("://", 1)[1]
                terms.add(rest)
                terms.update(p for p in re.split(r"[/@:?&=#]", rest)  # not host names
                             if len(p) >= 8 and "." not in p and p != "localhost")
    return tuple(sorted((t for t in terms if len(t) >= 4), key=len, reverse=True))
