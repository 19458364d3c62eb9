"""The ``alrnn pretrained`` command: list, describe and export shipped models."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["add_pretrained_parser", "command_pretrained"]


def add_pretrained_parser(commands: Any) -> None:
    """Add ``pretrained`` to the ``alrnn`` subcommands."""
    parser = commands.add_parser(
        "pretrained",
        help="list the pretrained AL-RNNs shipped in the package, or show one",
        description="Without NAME, list the shipped models with task, P and "
        "accuracy; with NAME, print its model card (or --export it).",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="a shipped model")
    parser.add_argument("--json", action="store_true", help="print the card as JSON")
    parser.add_argument(
        "--export",
        type=Path,
        metavar="DIR",
        help="write NAME as a run directory (for alrnn evaluate / record)",
    )


def command_pretrained(args: argparse.Namespace) -> int:
    """Run ``alrnn pretrained``; return the exit status."""
    from agents.model_zoo import export_pretrained, list_pretrained, model_card

    if args.name is None:
        names = list_pretrained()
        if not names:
            print("no pretrained models are shipped in this installation")
        for name in names:
            card = model_card(name)
            accuracy = card["score"]["scores"]["accuracy"]
            model = card["model"]
            print(
                f"{name:<48} {card['task_id']:<22} M={model['units']:<3} "
                f"P={model['relu_units']:<3} accuracy {accuracy:.3f}"
            )
        return 0
    card = model_card(args.name)
    if args.export is not None:
        print(f"wrote {export_pretrained(args.name, args.export)}")
        return 0
    if args.json:
        print(json.dumps(card, indent=2, sort_keys=True))
        return 0
    _describe(card)
    return 0


def _describe(card: dict[str, Any]) -> None:
    model, training, score = card["model"], card["training"], card["score"]
    print(f"{card['name']}: AL-RNN M={model['units']} P={model['relu_units']}")
    print(f"  task      {card['task_id']} {json.dumps(card['task_params'])}")
    print(f"  trained   {training['steps']} steps, {training['trials_seen']} trials")
    print(f"  reproduce {training['command']}")
    print(
        f"  regions used {card['regions_used']}, real fixed points {card['real_fixed_points']}"
    )
    print(f"  score on {score['trials']} fresh trials (seed {score['seed']}):")
    for key, value in score["scores"].items():
        shown = "-" if value is None else f"{value:.3f}"
        print(f"    {key:<32} {shown}")
