"""``mubert completion bash|zsh|fish``: the shell completion script (click's own)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from ._context import State
from ._options import pass_state

__all__ = ["COMPLETE_VAR", "SHELLS", "completion"]

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_MUBERT_COMPLETE"
"""The environment variable click's completion protocol uses for the ``mubert`` program."""


@click.command(short_help="Print the shell completion script (bash, zsh or fish).")
@click.argument("shell", type=click.Choice(SHELLS))
@pass_state
@click.pass_context
def completion(ctx: click.Context, state: State, shell: str) -> None:
    """Print the completion script of SHELL for `mubert`; load it in your shell's start-up.

    \b
      bash:  eval "$(mubert completion bash)"        (in ~/.bashrc)
      zsh:   eval "$(mubert completion zsh)"         (in ~/.zshrc)
      fish:  mubert completion fish > ~/.config/fish/completions/mubert.fish

    Commands, options and choices (formats, keys...) complete with Tab.
    """
    complete_class = get_completion_class(shell)
    assert complete_class is not None  # SHELLS are click's built-in shells
    script = complete_class(ctx.find_root().command, {}, "mubert", COMPLETE_VAR).source()
    state.out.line(script.rstrip("\n"))
