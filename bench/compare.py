"""The rush on two versions of the portal in the same session, alternating (docs/performance.md).

    .venv/bin/python -m bench.compare --old df1b3ee --runs 3 [rush options]
    make bench-compare BENCH_ARGS="--old df1b3ee --runs 3 --connections 500"

The old revision is checked out in a temporary `git worktree` (this checkout's `.venv` and
`node_modules` linked into it), and this tree's `bench/` is copied over its own: both versions
are driven by the same client, seeded by the same code and counted from the database the same
way. Only what is served differs: gunicorn (with the version's docker/gunicorn.conf.py) and the
Celery worker start from each version's directory, with its settings, models and migrations.

Each round runs the rush once on each version, the order swapped every round (old then new,
new then old, ...), so that the machine's drift over minutes falls on both alike. Every run
measures the reference page (bench/minimal_app.py) beside it, and the ratio is read against
that run's own measure. Prints a Markdown table for docs/performance.md; each run's full
report is in var/bench/compare/."""

import argparse
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stack import BASE_DIR

LOG_DIR = BASE_DIR / "var" / "bench" / "compare"
LINKED = (".venv", "node_modules")  # reused, not installed again


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Every other option goes to bench.rush (e.g. --families, --connections).")
    p.add_argument("--old", required=True, help="the git revision to compare with")
    p.add_argument("--runs", type=int, default=3, help="runs of each version")
    p.add_argument("--keep-tree", action="store_true",
                   help="keep the old revision's worktree (printed) afterwards")
    return p.parse_known_args(argv)


def git(*args: str, cwd: Path = BASE_DIR) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@contextlib.contextmanager
def old_tree(revision: str, keep: bool = False):
    """A worktree of `revision`, serving its own code, with this tree's bench in it."""
    commit = git("rev-parse", "--verify", f"{revision}^{{commit}}")
    path = Path(tempfile.mkdtemp(prefix="portail-old-")) / "tree"
    git("worktree", "add", "--detach", str(path), commit)
    try:
        for name in LINKED:
            if (BASE_DIR / name).exists():
                (path / name).symlink_to((BASE_DIR / name).resolve())
        shutil.rmtree(path / "bench")
        shutil.copytree(BASE_DIR / "bench", path / "bench",
                        ignore=shutil.ignore_patterns("__pycache__"))
        yield path, commit[:10]
    finally:
        if keep:
            print(f"the old revision's worktree is kept in {path}", flush=True)
        else:
            git("worktree", "remove", "--force", str(path))
            shutil.rmtree(path.parent, ignore_errors=True)


def run_rush(tree: Path, name: str, number: int, rush_args: list[str]) -> dict:
    """One rush with the bench of `tree` (this one's, copied there): its figures, and the
    report in LOG_DIR."""
    figures_path = LOG_DIR / f"{name}-{number}.json"
    figures_path.unlink(missing_ok=True)
    log_path = LOG_DIR / f"{name}-{number}.log"
    start = time.monotonic()
    with log_path.open("wb") as log:
        result = subprocess.run(
            [sys.executable, "-m", "bench.rush", *rush_args, "--json", str(figures_path)],
            cwd=tree, stdout=log, stderr=subprocess.STDOUT, check=False)
    if not figures_path.exists():
        raise RuntimeError(f"the rush on {name} gave no figures (exit {result.returncode}): "
                           f"see {log_path}")
    figures = json.loads(figures_path.read_text())
    print(f"{name} run {number}: {figures['parents_per_s']:.1f} parents/s, reference "
          f"{figures['reference_rps']:,.0f} req/s, ratio {figures['reference_ratio']:.4f}, "
          f"p95 {seconds(figures['p95_s'])} s, {figures['errors']} errors, "
          f"{figures['short_children']} children short of a day, {figures['overbooking']} "
          f"overbooked ({time.monotonic() - start:.0f} s; {log_path})", flush=True)
    return figures


def seconds(value) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(runs: list[tuple[str, int, dict]], labels: dict[str, str]) -> str:
    lines = ["| code | run | parents/s | reference page req/s | ratio | p95 s | errors "
             "| children short of a day | overbooking |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, number, f in runs:
        lines.append(f"| {labels[name]} | {number} | {f['parents_per_s']:.1f} | "
                     f"{f['reference_rps']:,.0f} | {f['reference_ratio']:.4f} | "
                     f"{seconds(f['p95_s'])} | {f['errors']} | {f['short_children']} | "
                     f"{f['overbooking']} |")
    means = {}
    for name in labels:
        ratios = [f["reference_ratio"] for n, _, f in runs if n == name]
        means[name] = statistics.mean(ratios)
        pps = statistics.mean(f["parents_per_s"] for n, _, f in runs if n == name)
        lines.append(f"| **{labels[name]}, mean** | {len(ratios)} | {pps:.1f} | | "
                     f"**{means[name]:.4f}** | | | | |")
    lines.append("")
    lines.append(f"Mean ratio, new / old: {means['new'] / means['old']:.3f}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    args, rush_args = parse_args(argv)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    new_label = f"new ({git('rev-parse', '--short=10', 'HEAD')}"
    new_label += ", uncommitted changes)" if git("status", "--porcelain") else ")"
    runs = []
    with old_tree(args.old, keep=args.keep_tree) as (old_path, old_commit):
        trees = {"old": old_path, "new": BASE_DIR}
        labels = {"old": f"old ({old_commit})", "new": new_label}
        for number in range(1, args.runs + 1):
            order = ("old", "new") if number % 2 else ("new", "old")
            for name in order:
                runs.append((name, number, run_rush(trees[name], name, number, rush_args)))
    print("\n" + table(sorted(runs, key=lambda r: (r[1], r[0] != "old")), labels))
    return 0


if __name__ == "__main__":
    sys.exit(main())
