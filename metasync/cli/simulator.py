"""`metasync simulator`: serve the local Graph API simulator (the same options as `python -m metasync.simulator`).

The click options are generated from the simulator's own argparse parser, so the two front ends cannot drift.
"""

from __future__ import annotations

import argparse

import click


def _click_options(parser: argparse.ArgumentParser) -> list:
    """One click option per argparse option: plain values, flags (store_true) and repeatable ones (append)."""
    options = []
    # `_actions` is argparse's list of declared arguments (argcomplete and sphinx-argparse read it the same way).
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or not action.option_strings:
            continue
        help_text = (action.help or "").replace("%%", "%")
        if isinstance(action, argparse._StoreTrueAction):
            options.append(click.option(*action.option_strings, action.dest, is_flag=True, help=help_text))
        elif isinstance(action, argparse._AppendAction):
            options.append(click.option(*action.option_strings, action.dest, multiple=True, help=help_text))
        else:
            options.append(
                click.option(
                    *action.option_strings,
                    action.dest,
                    type=action.type or str,
                    default=action.default,
                    show_default=False,
                    help=help_text,
                )
            )
    return options


def build_command() -> click.Command:
    from metasync.simulator import build_arg_parser

    def simulator_command(**values):
        """Serve a simulated Meta Graph / Marketing API on loopback (no Meta account needed).

        Point metasync at it with META_GRAPH_URL=http://127.0.0.1:PORT; read its call counts at /__sim/calls.
        """
        from metasync.simulator import config_from_args, serve

        args = argparse.Namespace(**{k: list(v) if isinstance(v, tuple) else v for k, v in values.items()})
        serve(config_from_args(args), host=args.host, port=args.port, quiet=args.quiet)

    command = simulator_command
    for option in reversed(_click_options(build_arg_parser())):
        command = option(command)
    return click.command("simulator")(command)
