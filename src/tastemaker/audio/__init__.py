"""Audio intelligence: Spotify-style audio features and audio analysis computed from the audio itself.

The package import stays light (no SciPy): commands that never analyse audio should not pay for it.
Import ``tastemaker.audio.pipeline`` for ``analyze_path``.
"""
