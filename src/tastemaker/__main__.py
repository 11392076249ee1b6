"""``python -m tastemaker`` is the ``tastemaker`` command."""

from tastemaker.cli import main

main()
