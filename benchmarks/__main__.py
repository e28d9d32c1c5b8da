"""`python -m benchmarks [NAME ...]`: run every benchmarks/bench_*.py, print a table, write JSON.

Each module defines `run() -> list[dict]` with rows
{"benchmark", "metric", "value", "unit", "budget", "ok"}.
"""
from __future__ import annotations

import json
import os
import pkgutil
import platform
import sys
import time
import traceback
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "platform": platform.platform()}
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001
        pass
    return info


def format_table(rows: list[dict]) -> str:
    header = ("benchmark", "metric", "value", "unit", "budget", "ok")
    lines = [[str(r.get("benchmark", "")), str(r.get("metric", "")),
              f"{r['value']:.4g}" if isinstance(r.get("value"), (int, float)) else str(r.get("value")),
              str(r.get("unit", "")), str(r.get("budget") or ""),
              {True: "yes", False: "NO", None: ""}.get(r.get("ok"), str(r.get("ok")))] for r in rows]
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    return "\n".join(out)


MARKER = "@@BENCHMARK-ROWS@@"


def run_isolated(name: str) -> list[dict]:
    """Run one benchmark module in its own process: no Qt or model state leaks between them."""
    import subprocess

    code = (f"import json, sys; from benchmarks import {name} as m; rows = m.run(); "
            f"print({MARKER!r} + json.dumps(rows, default=str)); sys.stdout.flush()")
    proc = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                          cwd=str(Path(__file__).resolve().parent.parent))
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    sys.stdout.write(proc.stdout[-3000:])
    raise RuntimeError(f"{name} exited with code {proc.returncode} before reporting")


def main(argv: list[str]) -> int:
    package_dir = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(package_dir)]) if m.name.startswith("bench_"))
    if argv:
        names = [n for n in names if any(a in n for a in argv)]
    RESULTS.mkdir(exist_ok=True)
    all_rows: list[dict] = []
    failed = False
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            rows = run_isolated(name)
        except Exception as exc:  # noqa: BLE001 - report and go on with the others
            traceback.print_exc()
            rows = [{"benchmark": name, "metric": "error", "value": float("nan"), "unit": "",
                     "budget": None, "ok": False, "error": str(exc)}]
        elapsed = time.perf_counter() - t0
        print(format_table(rows), flush=True)
        print(f"({elapsed:.1f} s)\n", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps({"machine": machine(), "rows": rows,
                                                          "seconds": elapsed}, indent=1, default=str))
        all_rows += rows
        failed |= any(r.get("ok") is False for r in rows)
    print("== summary")
    print(format_table(all_rows))
    (RESULTS / "all.json").write_text(json.dumps({"machine": machine(), "rows": all_rows}, indent=1, default=str))
    print(f"\nJSON written to {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
