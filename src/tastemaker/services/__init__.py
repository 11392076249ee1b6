"""Consumers of the event log and the runner that drives them (in-process or one per process)."""
