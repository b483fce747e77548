"""``trustops fleet``: the demo environment alone, in the foreground (see connectors/fleet/README.md)."""

from connectors.fleet.command import add_arguments, run

__all__ = ["add_arguments", "run"]
