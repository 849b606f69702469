"""Run every benchmark in turn and collect their Markdown tables in bench/results/summary.md.

    python bench/run_all.py            # full sizes (long: see bench/README.md)
    python bench/run_all.py --quick    # tiny sizes, a minute or so

Runs bench_sync.py, bench_insights.py, bench_reports.py, bench_queries.py, bench_writes.py, profile_sync.py and,
when present, load_webhooks.py, each in its own process with MONGODB_URI and REDIS_URL from the environment. Exit
code 1 if any of them failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = (
    "bench_sync.py",
    "bench_insights.py",
    "bench_reports.py",
    "bench_queries.py",
    "bench_writes.py",
    "profile_sync.py",
    "load_webhooks.py",
)
# Scripts built on benchlib take --results-dir; the others get --quick only.
TAKES_RESULTS_DIR = (
    "bench_sync.py",
    "bench_insights.py",
    "bench_reports.py",
    "bench_queries.py",
    "bench_writes.py",
    "profile_sync.py",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", action="append", choices=SCRIPTS, help="run only this script (repeatable)")
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    args = parser.parse_args(argv)
    failed, sections = [], []
    for script in args.only or SCRIPTS:
        path = BENCH / script
        if not path.exists():
            print(f"== {script}: not present, skipped", flush=True)
            continue
        print(f"== {script}{' --quick' if args.quick else ''}", flush=True)
        started = time.monotonic()
        extra = ["--results-dir", str(args.results_dir)] if script in TAKES_RESULTS_DIR else []
        code = subprocess.call(
            [sys.executable, str(path), *(["--quick"] if args.quick else []), *extra], stdin=subprocess.DEVNULL
        )
        print(f"== {script}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(script)
        report = (args.results_dir if script in TAKES_RESULTS_DIR else BENCH / "results") / f"{path.stem}.md"
        if code == 0 and report.exists():
            sections.append(report.read_text())
    if sections:
        args.results_dir.mkdir(parents=True, exist_ok=True)
        summary = args.results_dir / "summary.md"
        summary.write_text("# metasync benchmarks\n\n" + "\n".join(sections))
        print(f"summary: {summary}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
