"""Last.fm's two wire formats from one tree: ``<lfm status="ok">…</lfm>`` XML and its JSON rendering.

Last.fm's JSON is a mechanical translation of its XML (text → ``"#text"``, some attributes → ``"@attr"``,
repeated children → lists), so each response is built once as ``Node``s and rendered either way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Response

INVALID_SERVICE = 2
INVALID_METHOD = 3
AUTH_FAILED = 4
INVALID_FORMAT = 5
INVALID_PARAMETERS = 6
OPERATION_FAILED = 8
INVALID_SESSION_KEY = 9
INVALID_API_KEY = 10
SERVICE_OFFLINE = 11
INVALID_SIGNATURE = 13
LOGIN_REQUIRED = 17
RATE_LIMITED = 29

HTTP_STATUS = {
    INVALID_SERVICE: 400,
    INVALID_METHOD: 400,
    INVALID_FORMAT: 400,
    INVALID_PARAMETERS: 400,
    AUTH_FAILED: 403,
    INVALID_SESSION_KEY: 403,
    INVALID_API_KEY: 403,
    INVALID_SIGNATURE: 403,
    LOGIN_REQUIRED: 403,
    RATE_LIMITED: 429,
    SERVICE_OFFLINE: 503,
    OPERATION_FAILED: 500,
}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_encoder = msgspec.json.Encoder()


class LastfmError(Exception):
    """A failed call: Last.fm's error ``code`` and a message for people."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Node:
    """One XML element; ``attr_json`` attributes go under ``"@attr"`` in JSON, the others stay inline.

    ``many`` says the element is one of a list in JSON even when it is alone (Last.fm's track lists).
    """

    tag: str
    text: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    attr_json: bool = False
    many: bool = False


def _clean(text: str) -> str:
    """XML 1.0 cannot carry control characters; clients would fail to parse the whole response."""
    return _XML_INVALID.sub("", text)


def _to_element(node: Node) -> ET.Element:
    element = ET.Element(node.tag, {k: _clean(v) for k, v in node.attrs.items()})
    if node.text is not None:
        element.text = _clean(node.text)
    element.extend(_to_element(child) for child in node.children)
    return element


def _to_json(node: Node) -> Any:
    if not node.children and not node.attrs:
        return node.text or ""
    body: dict[str, Any] = {}
    for child in node.children:
        value = _to_json(child)
        if child.many:
            body.setdefault(child.tag, []).append(value)
        else:
            body[child.tag] = value
    if node.attrs:
        if node.attr_json:
            body["@attr"] = dict(node.attrs)
        else:
            body.update(node.attrs)
    if node.text is not None:
        body["#text"] = node.text
    return body


def render(node: Node | None, fmt: str) -> Response[bytes]:
    """An ok response; ``node`` None is Last.fm's empty ``<lfm status="ok"/>`` (``{}`` in JSON)."""
    if fmt == "json":
        body = {} if node is None else {node.tag: _to_json(node)}
        return Response(_encoder.encode(body), media_type="application/json")
    root = ET.Element("lfm", {"status": "ok"})
    if node is not None:
        root.append(_to_element(node))
    return _xml(root, 200)


def render_error(error: LastfmError, fmt: str) -> Response[bytes]:
    status = HTTP_STATUS.get(error.code, 400)
    if fmt == "json":
        body = _encoder.encode({"error": error.code, "message": error.message})
        return Response(body, status_code=status, media_type="application/json")
    root = ET.Element("lfm", {"status": "failed"})
    ET.SubElement(root, "error", {"code": str(error.code)}).text = _clean(error.message)
    return _xml(root, status)


def _xml(root: ET.Element, status: int) -> Response[bytes]:
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type="text/xml; charset=utf-8")
