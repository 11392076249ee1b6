"""Taste Profiles: the per-listener model and the profiler consumer that keeps it current."""
