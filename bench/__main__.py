"""Runs every benchmark module of this package and prints one table at the end."""
import argparse
import importlib
import logging
import pkgutil
import sys
import time
import traceback
from pathlib import Path

HELPERS = {"common", "http_load", "__main__"}
COLUMNS = ("benchmark", "figure", "unit", "goal", "verdict")


def modules() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in HELPERS)


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
    rows, failed, started = [], False, time.perf_counter()
    for name in args.only or modules():
        print(f"== {name} ({'quick' if args.quick else 'full'})", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            rows += module.run(args.quick)
        except Exception:
            failed = True
            traceback.print_exc()
            rows.append({"benchmark": name, "figure": "-", "unit": "-", "goal": "-", "verdict": "FAILED (see stderr)"})
        print(f"   {name} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(f"\nBenchmarks ({'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s in total)")
    print(table(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
