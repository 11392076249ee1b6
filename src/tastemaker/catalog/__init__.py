"""The catalog: tracks, artists and albums, how events name them, and importers."""
