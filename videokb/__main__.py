"""`python -m videokb`: the same as the `videokb` command."""

from videokb.cli import cli

if __name__ == "__main__":
    cli()
