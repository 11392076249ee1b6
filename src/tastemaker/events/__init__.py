"""Listening events: the schema, the EventLog contract and its backends."""
