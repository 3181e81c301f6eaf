"""`python -m reel.cli` runs the `reel` command."""

from reel.cli.main import main

main()
