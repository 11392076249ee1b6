"""Playlists out of Tastemaker, into the tools people already use: M3U8 and XSPF files, Subsonic servers.

A bounded context of its own rather than part of ``catalog`` (which brings data *in*) or ``recommend``
(which *makes* playlists): it only reads stored playlists and their tracks from the Store, and writes
them in other programs' formats or protocols. ``entries`` resolves a stored playlist to what every
format needs (name, artist, album, duration, where the audio is); ``m3u`` and ``xspf`` render files;
``subsonic`` pushes to Navidrome, Airsonic and other Subsonic-API servers. See
docs/integrations/subsonic.md.
"""

from __future__ import annotations
