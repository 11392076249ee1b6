"""Automatic annotation: every track gets a genre, mood, activity, vocal/instrumental and era label,
each with a confidence and the labelers that said so.

Labelers are pluggable (``labeler.Labeler``, registered in ``registry``); each reads what the Store
already knows about a track (audio features, the lyrics analysis, release date, the titles of the
playlists it is in) and answers independently; ``combine`` merges their answers per kind and ``run``
writes the result under the track's ``"annotations"`` label. See docs/annotation.md.
"""
