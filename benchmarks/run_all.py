"""Run every benchmark of ``benchmarks/`` in one go and write ``docs/benchmarks.md``.

Each script runs in its own subprocess, one after another, so that no two
measurements compete for the CPU; what it prints (its tables) goes into the
page verbatim, under the exact command that produced it, with its wall time.
The page opens with the machine, the load on it before and after, and a
summary of the comparisons the scripts measure against a baseline: neurogym
(trial generation), ``torch.nn.RNN`` and sequential training (training),
brute-force fixed points (dissection), one-trial-at-a-time recording
(comparison). Numbers are never typed in: everything between the page's
markers is written from measured output. Text after the end marker (earlier
measurements written by hand, dated) is kept as it is until a run replaces
it. The page is written atomically.

Usage: ``python benchmarks/run_all.py [--quick] [--only NAME ...]`` (``make
bench``; ``make bench BENCH_ARGS=--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAGE = HERE.parent / "docs" / "benchmarks.md"
BEGIN = "<!-- BEGIN measured by benchmarks/run_all.py -->"
END = "<!-- END measured by benchmarks/run_all.py -->"
KEPT_HEADING = "## Earlier measurements (kept until rerun)"


@dataclass(frozen=True)
class Benchmark:
    """How to run one script and what its output compares."""

    script: str
    title: str
    baseline: str  # what the ratios are measured against
    full: tuple[str, ...] = ()  # arguments of a full run
    quick: tuple[str, ...] = ()  # arguments of a --quick run
    summary: tuple[str, ...] = field(default=())  # regexes of summary lines


KNOWN = {
    b.script: b
    for b in (
        Benchmark(
            "trial_generation.py",
            "Trial generation (`alrnn_tasks`)",
            "neurogym's `Dataset` on the same task",
            quick=("--seconds", "0.5"),
            summary=(r"^task\.batch",),
        ),
        Benchmark(
            "training.py",
            "Training (`agents`)",
            "`torch.nn.RNN`, training the same models one after another, and the "
            "30 s goal of the CLI",
            full=("--threads", "1", "--implicit-steps", "800"),
            quick=("--threads", "1", "--implicit-steps", "0"),
            summary=(r"nn\.RNN", r"sequential", r"wall time"),
        ),
        Benchmark(
            "fixed_points.py",
            "Fixed points (`analysis.fixed_points`)",
            "brute-force solves in every subregion",
            quick=("--compare", "8", "12", "--exact", "16", "--repeats", "2"),
            summary=(r"ratio",),
        ),
        Benchmark(
            "compare.py",
            "Recording and comparison (`analysis`)",
            "running the model one trial at a time",
            quick=("--quick", "--shuffles", "10"),
            summary=(r"^record:", r"^compare,"),
        ),
        Benchmark(
            "fit.py",
            "Fitting an AL-RNN to a recording (`agents.fit`)",
            "the ground-truth model's own held-out bits per spike",
            quick=("--steps", "200"),
            summary=(r"^\| M=",),
        ),
    )
}


@dataclass
class Measured:
    """One script's run: command, exit status, output and wall time."""

    benchmark: Benchmark
    command: str
    returncode: int
    output: str
    seconds: float


def discover() -> list[Benchmark]:
    """Return every script in ``benchmarks/`` but this one; unknown ones run bare."""
    scripts = sorted(p.name for p in HERE.glob("*.py") if p.name != Path(__file__).name)
    order = [s for s in KNOWN if s in scripts] + [s for s in scripts if s not in KNOWN]
    return [KNOWN.get(s, Benchmark(s, f"`{s}`", "see the script")) for s in order]


def run(benchmark: Benchmark, quick: bool) -> Measured:
    """Run one script in a subprocess and capture what it prints."""
    args = benchmark.quick if quick else benchmark.full
    command = [sys.executable, str(HERE / benchmark.script), *args]
    shown = " ".join(["python", f"benchmarks/{benchmark.script}", *args])
    print(f"running {shown}", file=sys.stderr, flush=True)
    start = time.perf_counter()
    completed = subprocess.run(
        command, capture_output=True, text=True, cwd=HERE.parent, check=False
    )
    seconds = time.perf_counter() - start
    output = completed.stdout.rstrip()
    if completed.returncode != 0:
        output += "\n" + "\n".join(completed.stderr.rstrip().splitlines()[-15:])
    print(output, file=sys.stderr, flush=True)
    return Measured(benchmark, shown, completed.returncode, output, seconds)


# -- the machine ----------------------------------------------------------------


def cpu_model() -> str:
    """Return the CPU's model name (Linux), or what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    """Return the total memory in GiB (Linux), or ``"unknown"``."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def load_average() -> str:
    """Return the 1-minute load average, or ``"unknown"``."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "unknown"


def versions() -> str:
    """Return the versions of the libraries the measurements depend on."""
    import numpy
    import torch

    parts = [f"Python {platform.python_version()}", f"torch {torch.__version__}"]
    parts.append(f"numpy {numpy.__version__}")
    try:
        import neurogym

        parts.append(f"neurogym {getattr(neurogym, '__version__', '?')}")
    except ImportError:
        parts.append("neurogym not installed")
    return ", ".join(parts)


def gpu() -> str:
    """Return the name of the CUDA device, or an empty string."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return ""


# -- the page ---------------------------------------------------------------------


def summary_rows(results: list[Measured]) -> list[str]:
    """Return the summary rows, lines picked from each script's output by its patterns."""
    rows = []
    for result in results:
        patterns = [re.compile(p) for p in result.benchmark.summary]
        lines = [
            line.strip().strip("|").strip()
            for line in result.output.splitlines()
            if any(p.search(line.strip()) for p in patterns)
        ]
        status = "" if result.returncode == 0 else " (failed, see below)"
        cell = "<br>".join(lines).replace("|", "·") or "see below"
        rows.append(
            f"| {result.benchmark.title}{status} | {result.benchmark.baseline} | "
            f"{cell} |"
        )
    return rows


def section(result: Measured) -> str:
    """Return a benchmark's section: command, wall time and output."""
    doc = ast.get_docstring(ast.parse((HERE / result.benchmark.script).read_text()))
    what = (doc or "").split("\n\n")[0].replace("\n", " ")
    status = "" if result.returncode == 0 else (
        f" **The script failed (exit status {result.returncode}); its last lines "
        "are below.**"
    )  # fmt: skip
    # Markdown tables render as tables; anything else stays preformatted.
    table = [line for line in result.output.splitlines() if line.startswith("|")]
    other = [line for line in result.output.splitlines() if not line.startswith("|")]
    body = ""
    if other:
        body += "```text\n" + "\n".join(other).strip() + "\n```\n\n"
    if table:
        body += "\n".join(table) + "\n\n"
    return (
        f"### {result.benchmark.title}\n\n{what}\n\n"
        f"`{result.command}`: {result.seconds:.0f} s wall time.{status}\n\n{body}"
    )


def measured_block(results: list[Measured], quick: bool, context: dict) -> str:
    """Return everything between the markers."""
    device = context["gpu"]
    gpu_line = (
        f"A CUDA device was present ({device}), but these scripts measure the "
        "CPU; GPU figures are not measured here."
        if device
        else "No GPU on this machine: every GPU figure (for instance populations "
        "of 64 AL-RNNs on a CUDA device) is **not measured** here."
    )
    lines = [
        BEGIN,
        "",
        f"Measured on {context['date']} by `make bench` "
        f"(`python benchmarks/run_all.py{' --quick' if quick else ''}`), "
        f"{'a quick run (fewer repeats, smaller sizes) ' if quick else ''}"
        "every script one after another in its own process.",
        "",
        "| machine | |",
        "|---|---|",
        f"| CPU | {context['cpu']}, {os.cpu_count()} logical cores |",
        f"| memory | {memory_gib()} |",
        f"| system | {platform.system()} {platform.release()} |",
        f"| software | {versions()} |",
        f"| load average (1 min) | {context['load_before']} before, "
        f"{context['load_after']} after |",
        f"| total wall time | {context['seconds']:.0f} s |",
        "",
        gpu_line
        + " The machine may be shared: a load average above the core count means "
        "other jobs ran during the measurement, which lowers absolute rates and "
        "moves ratios; both sides of each ratio run in the same process, one "
        "right after the other.",
        "",
        "## Summary",
        "",
        "| benchmark | compared with | measured |",
        "|---|---|---|",
        *summary_rows(results),
        "",
        "## Measurements",
        "",
        *[section(r) for r in results],
        END,
    ]
    return "\n".join(lines) + "\n"


def kept_text(page: str) -> str:
    """Return the hand-written text to keep: after the end marker, or the old page's body."""
    if END in page:
        return page.split(END, 1)[1].strip()
    body = page.split("\n", 1)[1].strip() if page.startswith("# ") else page.strip()
    if not body:
        return ""
    # An old page without markers: its sections become the kept measurements.
    body = re.sub(r"^## ", "### ", body, flags=re.MULTILINE)
    return (
        f"{KEPT_HEADING}\n\nMeasured by hand before `make bench` wrote this page; "
        "the dates and conditions are in each section.\n\n" + body
    )


def write_page(block: str, kept: str) -> None:
    """Write the page atomically (temporary file, then rename)."""
    text = "# Benchmarks\n\n" + block + (f"\n{kept}\n" if kept else "")
    handle, staged = tempfile.mkstemp(dir=PAGE.parent, suffix=".md.tmp")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(staged, PAGE)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write the page; exit 1 if any script failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller, faster runs")
    parser.add_argument("--only", nargs="*", help="scripts to run (default: all)")
    args = parser.parse_args(argv)

    benchmarks = discover()
    if args.only:
        benchmarks = [b for b in benchmarks if b.script in args.only]
    context = {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "gpu": gpu(),
        "load_before": load_average(),
    }
    start = time.perf_counter()
    results = [run(b, args.quick) for b in benchmarks]
    context["seconds"] = time.perf_counter() - start
    context["load_after"] = load_average()

    kept = kept_text(PAGE.read_text() if PAGE.exists() else "")
    write_page(measured_block(results, args.quick, context), kept)
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0 if all(r.returncode == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
