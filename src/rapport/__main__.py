"""``python -m rapport`` runs the command line."""

from rapport.cli import main

# Guarded: `rapport serve --workers N` spawns processes that import this module again.
if __name__ == "__main__":
    main()
