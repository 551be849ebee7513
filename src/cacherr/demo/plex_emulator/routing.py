"""The emulator's request/response values, routing table and paging helper (no sockets here)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from cacherr.demo.plex_emulator.model import User, World
from cacherr.demo.plex_emulator.xmlgen import container, to_bytes

XML_TYPE = "text/xml;charset=utf-8"
T = TypeVar("T")


@dataclass
class Request:
    method: str
    path: str  # without the plex.tv/discover/metadata prefix
    query: dict[str, str]
    headers: Mapping[str, str]  # lower-case names
    world: World
    user: User | None = None
    params: dict[str, str] = field(default_factory=dict)  # named groups of the route pattern
    body: bytes = b""

    def paging(self) -> tuple[int, int | None]:
        """Container start and size, from the X-Plex-Container-* headers or the query string."""
        start = self.query.get("X-Plex-Container-Start") or self.headers.get("x-plex-container-start") or "0"
        size = self.query.get("X-Plex-Container-Size") or self.headers.get("x-plex-container-size")
        return max(0, int(start)), (None if size in (None, "") else max(0, int(size)))


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = XML_TYPE
    headers: dict[str, str] = field(default_factory=dict)


def xml(el: ET.Element, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, to_bytes(el), XML_TYPE, headers or {})


def error(status: int, text: str) -> Response:
    body = f"<html><head><title>{status}</title></head><body><h1>{status} {text}</h1></body></html>"
    return Response(status, body.encode(), "text/html;charset=utf-8")


def page(req: Request, items: Sequence[T], build: Callable[[T], ET.Element], **attrs: object) -> Response:
    """One page of ``items`` as a MediaContainer with size/totalSize/offset (elements built lazily)."""
    start, size = req.paging()
    chunk = items[start:] if size is None else items[start:start + size]
    root = container(size=len(chunk), totalSize=len(items), offset=start, **attrs)
    root.extend(build(i) for i in chunk)
    return xml(root, headers={"X-Plex-Container-Start": str(start),
                              "X-Plex-Container-Total-Size": str(len(items))})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    label: str  # endpoint name used for request counting and fault injection
    handler: Handler
    auth: str = "user"  # "none", "user" (any known token) or "owner"


def route(method: str, path: str, label: str, handler: Handler, auth: str = "user") -> Route:
    """``path`` uses ``{name}`` placeholders for one path segment (``{name*}``: the rest)."""
    regex = re.sub(r"\{(\w+)\*\}", r"(?P<\1>.+)", path)
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", regex)
    return Route(method, re.compile(f"^{regex}$"), label, handler, auth)


def match(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in routes:
        if r.method == method:
            m = r.pattern.match(path)
            if m:
                return r, m.groupdict()
    return None
