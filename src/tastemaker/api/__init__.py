"""The HTTP API: a Litestar app with one router per wire protocol."""
