"""Storage: the Store contract and its backends (catalog, listens, profiles, playlists, features, labels)."""
