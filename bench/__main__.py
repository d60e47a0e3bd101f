"""Runs every benchmark module of this package and prints one table at the end.

A module of bench/ is a benchmark when it defines `run(quick)`; the others (common,
http_load, peak_apps, ...) are helpers the benchmarks import. The exit status is 0 when
every benchmark ran, whatever its verdicts, and 1 when one raised."""
import argparse
import importlib
import logging
import os
import re
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = ("benchmark", "figure", "unit", "goal", "verdict")
DEFINES_RUN = re.compile(r"^def run\(", re.MULTILINE)


def modules() -> list[str]:
    """The benchmarks: bench/*.py files that define run() at the top level."""
    return sorted(p.stem for p in HERE.glob("*.py")
                  if not p.stem.startswith("_") and DEFINES_RUN.search(p.read_text(encoding="utf-8")))


def load_average() -> str:
    """The 1, 5 and 15 minute load averages against the CPUs: other work skews every figure."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min) on {os.cpu_count()} CPUs"


def table(rows: list[dict]) -> str:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in COLUMNS]
    line = lambda values: " | ".join(str(v).ljust(w) for v, w in zip(values, widths))  # noqa: E731
    out = [line(COLUMNS), "-+-".join("-" * w for w in widths)]
    out += [line([r.get(c, "") for c in COLUMNS]) for r in rows]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes: a smoke run under a minute")
    parser.add_argument("--only", metavar="NAME", action="append", choices=modules(),
                        help="run only this benchmark module (may be repeated)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows, failed, started, load_before = [], [], time.perf_counter(), load_average()
    for name in args.only or modules():
        print(f"== {name} ({'quick' if args.quick else 'full'})", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            rows += module.run(args.quick)
        except Exception:
            failed.append(name)
            traceback.print_exc()
            rows.append({"benchmark": name, "figure": "-", "unit": "-", "goal": "-", "verdict": "FAILED (see stderr)"})
        print(f"   {name} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(f"\nBenchmarks ({'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s in total)")
    print(f"Machine: before the run {load_before}; after it {load_average()}")
    print(table(rows))
    if failed:
        print(f"\nFailed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
