"""``python -m metasync.simulator [options]``: serve a simulated Graph API (options: ``--help``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
