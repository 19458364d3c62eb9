"""Training benchmarks for the agents package; all ratios come from one run.

1. AL-RNN forward+backward steps/s against ``torch.nn.RNN(nonlinearity="relu")``
   of the same size (M=128 units, P=16 ReLU units, batch 64, T=100).
2. A population of 16 AL-RNNs (M=64) against training the same 16 models one
   after another (one Adam step each on the same StimulusSelection batch).
3. Wall time of ``alrnn train StimulusSelection-v0 --task-param
   rule_cue=explicit --stop-at 0.95`` (start-up included).
4. Implicit-rule StimulusSelection-v0 (truncated BPTT): accuracy on the
   experiment's cycle of a network trained on short blocks (2/6/2/6), and
   held-out accuracy after a fixed number of steps for a naive setup and with
   reward feedback, a block-length curriculum and other chunk lengths
   (``--implicit-steps 0`` skips those).

Usage: ``python benchmarks/training.py [--threads 1] [--implicit-steps 1500]``.
Prints a Markdown table for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from agents import ALRNN, ModelConfig, Population, TrainConfig, load, train
from agents.evaluation import Stack, masked_loss
from agents.sessions import evaluate_sessions
from alrnn_tasks import get_task


def rate(function, seconds: float = 3.0, warmup: int = 3) -> float:
    for _ in range(warmup):
        function()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        function()
        count += 1
    return count / (time.perf_counter() - start)


def alrnn_vs_rnn() -> dict[str, float]:
    units, batch, steps, n_inputs = 128, 64, 100, 7
    inputs = torch.randn(batch, steps, n_inputs)
    alrnn = ALRNN(ModelConfig(units=units, relu_units=16), n_inputs, 3)
    rnn = torch.nn.RNN(n_inputs, units, nonlinearity="relu", batch_first=True)
    readout = torch.nn.Linear(units, 3)

    def alrnn_step():
        alrnn(inputs).square().mean().backward()

    def rnn_step():
        readout(rnn(inputs)[0]).square().mean().backward()

    return {"alrnn": rate(alrnn_step), "rnn": rate(rnn_step)}


def population_vs_sequential(n_models: int = 16) -> dict[str, float]:
    task = get_task("StimulusSelection-v0", rule_cue="explicit")
    batch = task.batch(64, seed=0)
    configs = [ModelConfig(units=64, relu_units=p % 9, seed=p) for p in range(n_models)]
    population = Population(configs, task.n_inputs, task.n_outputs)
    singles = population.split()
    pop_optimizer = torch.optim.Adam(population.parameters(), lr=1e-3)
    optimizers = [torch.optim.Adam(m.parameters(), lr=1e-3) for m in singles]
    targets, mask = batch.targets.unsqueeze(0), batch.mask.unsqueeze(0)

    def population_step():
        pop_optimizer.zero_grad()
        outputs, _, _ = population.run(batch.inputs)
        masked_loss(outputs, targets, mask).sum().backward()
        pop_optimizer.step()

    def sequential_step():
        for model, optimizer in zip(singles, optimizers, strict=True):
            optimizer.zero_grad()
            outputs = model(batch.inputs).unsqueeze(0)
            masked_loss(outputs, targets, mask).sum().backward()
            optimizer.step()

    return {"population": rate(population_step), "sequential": rate(sequential_step)}


def cli_wall_time(threads: int) -> float:
    out = Path(tempfile.mkdtemp()) / "run"
    command = [
        sys.executable, "-c",
        f"import sys, torch; torch.set_num_threads({threads}); "
        "from agents.cli import main; sys.exit(main())",
        "-q", "train", "StimulusSelection-v0", "--task-param", "rule_cue=explicit",
        "--stop-at", "0.95", "--device", "cpu", "--out", str(out),
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(out.parent)
    return seconds


IMPLICIT_SETUPS = {
    "naive (chunk 10 trials)": ({}, {}),
    "+ curriculum": ({}, {"curriculum": (0.1, 0.25, 0.5, 1.0)}),
    "+ feedback": ({"feedback": True}, {}),
    "+ feedback + curriculum": (
        {"feedback": True},
        {"curriculum": (0.1, 0.25, 0.5, 1.0)},
    ),
    "+ feedback + curriculum, chunk 3": (
        {"feedback": True},
        {"curriculum": (0.1, 0.25, 0.5, 1.0), "chunk_trials": 3},
    ),
    "+ feedback + curriculum, chunk 30": (
        {"feedback": True},
        {"curriculum": (0.1, 0.25, 0.5, 1.0), "chunk_trials": 30},
    ),
}


def implicit_rule(steps: int) -> None:
    """Print one table row per setup as soon as it is measured."""
    for name, (task_params, options) in IMPLICIT_SETUPS.items():
        trials = 10 * steps  # the same number of training trials for every chunk length
        chunk = options.get("chunk_trials", 10)
        config = TrainConfig(
            task_params=task_params,
            steps=trials // chunk,
            batch_size=32,
            eval_every=max(trials // chunk // 10, 1),
            eval_trials=640,
            curriculum_advance_at=0.85,
            checkpoint_every=10**6,
            device="cpu",
            **options,
        )
        with tempfile.TemporaryDirectory() as folder:
            result = train(
                Path(folder) / "run", config, ModelConfig(units=32, relu_units=8)
            )
        print(
            f"| implicit rule, {name}, {32 * trials} training trials | accuracy "
            f"{result.scores[0]['accuracy']:.3f} in {result.seconds:.0f} s | >= 0.90 |",
            flush=True,
        )


def short_block_recipe(max_steps: int = 1500) -> tuple[float, float]:
    """Train on short blocks (2, 6, 2, 6), score on the experiment's 160-trial cycle.

    Short blocks put a rule switch and the cue trials that announce it inside
    almost every truncated-BPTT chunk, so the gradient reaches the memory
    that must hold the rule; a network that has learned to latch the rule
    from a cue block keeps it through the experiment's 60-trial blocks.
    Returns the accuracy on the default task and the training wall time.
    """
    config = TrainConfig(
        task_params={"block_lengths": (2, 6, 2, 6)},
        steps=max_steps,
        batch_size=64,
        eval_every=50,
        stop_at=0.98,
        checkpoint_every=10**6,
        device="cpu",
    )
    with tempfile.TemporaryDirectory() as folder:
        result = train(
            Path(folder) / "run", config, ModelConfig(units=32, relu_units=8)
        )
        model, _ = load(Path(folder) / "run")
    experiment = get_task("StimulusSelection-v0")  # implicit rule, 20/60/20/60
    scores = evaluate_sessions(
        Stack(model).run, experiment, 2048, 123, torch.device("cpu"), 1
    )
    return scores[0]["accuracy"], result.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--implicit-steps", type=int, default=1500)
    parser.add_argument("--only-implicit", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"CPU: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} thread(s)\n"
    )
    print("| measurement | result | goal |\n|---|---|---|", flush=True)
    if args.only_implicit:
        implicit_rule(args.implicit_steps)
        return
    accuracy, seconds = short_block_recipe()
    print(
        "| implicit rule (default 20/60/20/60 cycle), trained on short blocks 2/6/2/6 "
        f"(chunk 10, stop at 0.98) | accuracy {accuracy:.3f} after {seconds:.0f} s of "
        "training | >= 0.90 after 5 min |",
        flush=True,
    )
    speed = alrnn_vs_rnn()
    print(
        f"| AL-RNN fwd+bwd, M=128 P=16 B=64 T=100 | {speed['alrnn']:.1f} steps/s vs "
        f"nn.RNN(relu) {speed['rnn']:.1f} ({speed['alrnn'] / speed['rnn']:.2f}x) | >= 1x |"
    )
    sweep = population_vs_sequential()
    print(
        f"| population of 16 (M=64) vs sequential, Adam steps | {sweep['population']:.1f} vs "
        f"{sweep['sequential']:.1f} steps/s ({sweep['population'] / sweep['sequential']:.1f}x) "
        "| >= 2x on CPU |"
    )
    print(
        f"| `alrnn train ... rule_cue=explicit --stop-at 0.95` wall time | "
        f"{cli_wall_time(args.threads):.1f} s | < 30 s |"
    )
    if args.implicit_steps:
        implicit_rule(args.implicit_steps)


if __name__ == "__main__":
    main()
