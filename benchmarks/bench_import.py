"""What ``import mubert_async`` costs in a fresh interpreter.

1. **Wall time**: N fresh ``python -c "import mubert_async"`` subprocesses, minus the
   median of N bare ``python -c "pass"`` ones (interpreter start-up): median, min, max.
2. **Where it goes**: one ``python -X importtime -c "import mubert_async"`` run; the five
   modules with the largest self time, and whether aiohttp was imported at all (it must
   not be: the transports are imported on first use).

Nothing about time is asserted; the figures are printed as a markdown table.

    python benchmarks/bench_import.py [--n 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

STATEMENT = "import mubert_async"


def wall_times(statement: str, n: int) -> list[float]:
    """Seconds each of ``n`` fresh interpreters takes to run ``statement``."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append(time.perf_counter() - start)
    return times


def importtime_rows() -> list[tuple[int, int, str]]:
    """``(self_us, cumulative_us, module)`` for every module ``import mubert_async`` loads."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", STATEMENT],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, module = line.removeprefix("import time:").split("|")
        rows.append((int(self_us), int(cumulative_us), module.strip()))
    return rows


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15, help="fresh interpreters per figure")
    args = parser.parse_args()

    wall_times(STATEMENT, 1)  # compile the .pyc files once, outside the figures
    bare = statistics.median(wall_times("pass", args.n))
    sdk = [t - bare for t in wall_times(STATEMENT, args.n)]
    rows = importtime_rows()
    total = next(c for _, c, m in rows if m == "mubert_async")

    print(f"## import mubert_async ({args.n} fresh interpreters, start-up subtracted)\n")
    print("| figure | ms |")
    print("|---|---:|")
    print(f"| median wall | {statistics.median(sdk) * 1e3:.0f} |")
    print(f"| min wall | {min(sdk) * 1e3:.0f} |")
    print(f"| max wall | {max(sdk) * 1e3:.0f} |")
    print(f"| -X importtime cumulative | {total / 1e3:.0f} |")
    print(f"\naiohttp imported: {any(m == 'aiohttp' for _, _, m in rows)}\n")
    print("| top self time | ms |")
    print("|---|---:|")
    for self_us, _, module in sorted(rows, reverse=True)[:5]:
        print(f"| {module} | {self_us / 1e3:.1f} |")


if __name__ == "__main__":
    main()
