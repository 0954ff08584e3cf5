"""``python -m searchapp``: the same command line as ``searchapp``."""

from searchapp.cli import main

main()
