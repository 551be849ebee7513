"""``python -m cacherr`` runs the command line."""

from cacherr.cli import main

if __name__ == "__main__":
    main()
