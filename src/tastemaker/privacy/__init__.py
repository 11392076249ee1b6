"""Listeners' data: export everything held about one (Spotify privacy-export layout) and forget them.

See docs/privacy.md for what is exported, what forgetting removes where and when, and its order.
"""
