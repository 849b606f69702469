"""The `metasync` command line. Exit codes: 0 ok, 1 a sync (or check) failed, 2 usage or configuration error."""

from metasync.cli.main import main

__all__ = ["main"]
