"""`python -m metasync.cli ...` runs the `metasync` command."""

from metasync.cli.main import main

main()
