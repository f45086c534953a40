"""The built-in pressure when stress-ng is not installed: `python -m alertdrill.faults.burn cpu|memory`.

Each process ends by itself after `--seconds`, so pressure never outlives its bound, even when the
harness that started it was killed.
"""

from __future__ import annotations

import argparse
import mmap
import time

PAGE = mmap.PAGESIZE


def burn_cpu(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sum(i * i for i in range(10_000))


def hold_memory(megabytes: int, seconds: float) -> None:
    block = bytearray(megabytes * 1024 * 1024)
    for offset in range(0, len(block), PAGE):  # touch every page so it is resident, not just reserved
        block[offset] = 1
    time.sleep(seconds)
    del block


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["cpu", "memory"])
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--mb", type=int, default=0)
    args = parser.parse_args(argv)
    if args.kind == "cpu":
        burn_cpu(args.seconds)
    else:
        hold_memory(args.mb, args.seconds)


if __name__ == "__main__":
    main()
