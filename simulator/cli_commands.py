"""Subcommands added by later stages (analyze, compare, quantize ...) register here,
so cli.py stays the small, stable entry point."""
from __future__ import annotations

EXTRA_HANDLERS: dict = {}


def register_extra_commands(sub) -> None:
    """Add the subparsers of the optional stages that are present."""
    _register_quantize(sub)


def _register_quantize(sub) -> None:
    from .quantize.cli import add_parser, cmd_quantize

    add_parser(sub)
    EXTRA_HANDLERS["quantize"] = cmd_quantize
