"""GPU results name the script, commit and device that produced them, so they can be reproduced.

The check itself needs an NVIDIA GPU; its CPU dry run (the CPU standing in for the GPU) writes
the same JSON, which is what is checked here, along with every result kept in benchmarks/reference.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "benchmarks" / "reference"


def provenance_problems(data: dict) -> list[str]:
    problems = []
    script = data.get("script")
    if not script or not (REPO / script).is_file():
        problems.append(f"script {script!r} is not a file in this repository")
    if not re.fullmatch(r"[0-9a-f]{40}", str(data.get("commit"))):
        problems.append(f"commit {data.get('commit')!r} is not a git commit id")
    if not data.get("device"):
        problems.append("no device")
    argv = data.get("argv") or []
    if len(argv) < 2 or argv[1] != script:
        problems.append(f"argv {argv!r} does not run the script")
    return problems


def test_the_dry_run_records_script_commit_and_device(tmp_path):
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--cpu-dry-run",
                           "--models", "minilm", "--tokens", "32", "--out", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data == json.loads(done.stdout)
    assert provenance_problems(data) == []
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert data["commit"] == head.stdout.strip()
    assert data["script"] == "benchmarks/gpu_check.py" and data["device"].startswith("CPU (dry run")
    assert data["argv"][2:] == ["--cpu-dry-run", "--models", "minilm", "--tokens", "32", "--out", str(out)]
    assert isinstance(data["dirty"], bool) and data["ok"] and data["models"][0]["tokens"] == 32


def test_every_kept_result_names_a_clean_commit_script_and_device():
    """(benchmarks/reference may be empty: then there is nothing to trust, and nothing to check.)"""
    for path in sorted(REFERENCE.glob("*.json")):
        data = json.loads(path.read_text())
        assert provenance_problems(data) == [], path.name
        assert data["dirty"] is False, f"{path.name} ran on uncommitted changes: it cannot be reproduced"
    assert provenance_problems({"script": "benchmarks/gone.py", "commit": "abc", "argv": []}) == [
        "script 'benchmarks/gone.py' is not a file in this repository", "commit 'abc' is not a git commit id",
        "no device", "argv [] does not run the script"]
