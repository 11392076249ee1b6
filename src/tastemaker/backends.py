"""URL → backend resolution through entry points, shared by every contract.

Our own built-ins are registered the same way a third-party backend would be, so a deployment can
add ``kafka://`` or ``cassandra://`` by installing a package, without touching this code.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlsplit

from tastemaker.errors import ConfigError

EVENT_LOGS = "tastemaker.event_logs"
STORES = "tastemaker.stores"


def open_backend(group: str, url: str) -> Any:
    """Open the backend registered under ``group`` for the scheme of ``url``."""
    scheme = urlsplit(url).scheme
    found = {ep.name: ep for ep in entry_points(group=group)}
    if scheme not in found:
        msg = (
            f"{url!r}: no {group} backend for scheme {scheme!r}; "
            f"installed: {', '.join(sorted(found)) or 'none (is tastemaker installed?)'}"
        )
        raise ConfigError(msg)
    try:
        factory = found[scheme].load()
    except ImportError as exc:
        msg = f"{scheme}:// needs an extra: pip install 'tastemaker[{scheme}]' ({exc.name} is not installed)"
        raise ConfigError(msg) from exc
    return factory(url)
