"""XSPF ("spiff") version 1, the XML playlist format of VLC, Strawberry, Clementine and others.

Each track carries its names (``title``, ``creator``, ``album``), ``duration`` in milliseconds and,
when the audio is known, a ``location`` URI: file:// for a local file, the stream URL otherwise. A
track without a location is still written: XSPF players may resolve it by its names. ElementTree does
the XML escaping, so any name is safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree as ET

from tastemaker.playlists_io.entries import Entry

NAMESPACE = "http://xspf.org/ns/0/"


def to_xspf(name: str, entries: Sequence[Entry]) -> bytes:
    """The playlist as an XSPF document, UTF-8 with an XML declaration."""
    playlist = ET.Element("playlist", version="1", xmlns=NAMESPACE)
    ET.SubElement(playlist, "title").text = name
    track_list = ET.SubElement(playlist, "trackList")
    for entry in entries:
        track = ET.SubElement(track_list, "track")
        local = entry.local_path
        location = local.as_uri() if local is not None else entry.remote_url
        fields = (
            ("location", location),
            ("title", entry.title),
            ("creator", entry.artist),
            ("album", entry.album),
            ("duration", str(entry.duration_ms) if entry.duration_ms is not None else None),
        )
        for tag, text in fields:
            if text:
                ET.SubElement(track, tag).text = text
    ET.indent(playlist)
    document: bytes = ET.tostring(playlist, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
