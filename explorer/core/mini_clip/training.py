"""The training loop: contrastive training from scratch with progress, partial results and cancel."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from explorer.core import shapes_dataset as shapes
from explorer.core.mini_clip.config import TrainConfig
from explorer.core.mini_clip.data import augment, display_batch, training_data
from explorer.core.mini_clip.encoder import MiniClipEncoder
from explorer.core.mini_clip.evaluation import PROMPT_TEMPLATE, PairAccuracy, pair_accuracy
from explorer.core.mini_clip.model import build_model, caption_fits, contrastive_loss, pixels_to_tensor
from explorer.core.mini_clip.text import encode_texts
from explorer.core.progress import Progress, ensure
from explorer.core.threads import cpu_threads, torch_threads


@dataclass
class TrainResult:
    encoder: MiniClipEncoder
    losses: list[float]
    seconds: float
    steps_done: int
    cancelled: bool = False
    accuracy: PairAccuracy | None = None  # both figures on fresh images (None: not evaluated)


def train(config: TrainConfig | None = None, progress: Progress | None = None, device=None,
          evaluate: bool = True) -> TrainResult:
    """Train from scratch. Reports progress, hands partial results (loss, batch matrix) to the UI, stops on cancel.

    partial(dict) carries: step, steps, loss, scale, losses (all so far), matrix (display images x captions),
    seen_accuracy and never_seen_accuracy (live, on a small fixed set of fresh images each; the latter None
    when nothing is held out) and, on the first call, display_images, display_captions and held_out.
    Cancel keeps what was learnt so far (steps_done says how much).
    """
    import torch

    progress = ensure(progress)
    config = config or TrainConfig.default()
    device = torch.device(device) if device is not None else torch.device("cpu")
    threads = (config.threads or cpu_threads()) if device.type == "cpu" else torch.get_num_threads()
    with torch_threads(threads):
        torch.manual_seed(config.seed)
        progress.report(0.0, f"Drawing {config.n_train:,} shapes with captions")
        data = training_data(config)
        progress.check()
        pixels = pixels_to_tensor(data.images).to(device)
        ids = torch.from_numpy(encode_texts(data.captions, config.model.vocab, config.model.max_words)).to(device)
        attributes = torch.from_numpy(np.stack([data.colour_ids, data.shape_ids, data.named_colours,
                                                data.named_shapes], axis=1)).to(device)
        show = display_batch(size=config.model.image_size)
        show_pixels = pixels_to_tensor(show.images).to(device)
        show_ids = torch.from_numpy(encode_texts(show.captions, config.model.vocab, config.model.max_words)).to(device)
        probe = _LiveProbe(config, device)

        model = build_model(config.model).to(device)
        optimiser = _adamw(model, weight_decay=0.01)
        warmup = max(1, config.steps // 20)

        def lr_at(step: int) -> float:
            if step < warmup:
                return config.lr * (step + 1) / warmup
            return config.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, config.steps - warmup)))

        generator = torch.Generator(device="cpu").manual_seed(config.seed)
        losses: list[float] = []
        start = time.perf_counter()
        cancelled = False
        step = 0
        first = True
        for step in range(config.steps):
            try:
                progress.check()
            except Exception:
                cancelled = True
                break
            model.train()
            batch = torch.randint(0, len(data), (config.batch_size,), generator=generator).to(device)
            images = augment(pixels[batch], generator)
            loss = contrastive_loss(model.encode_images(images), model.encode_texts(ids[batch]), model.scale(),
                                    match=caption_fits(attributes[batch]))
            optimiser.zero_grad()
            loss.backward()
            for group in optimiser.param_groups:
                group["lr"] = lr_at(step)
            optimiser.step()
            losses.append(float(loss.detach()))
            if step % config.eval_every == 0 or step == config.steps - 1:
                model.eval()
                with torch.no_grad():
                    matrix = (model.encode_images(show_pixels) @ model.encode_texts(show_ids).T).cpu().numpy()
                    seen_accuracy, never_seen_accuracy = probe.accuracy(model)
                payload = {"step": step + 1, "steps": config.steps, "loss": losses[-1], "losses": list(losses),
                           "scale": float(model.scale().detach()), "matrix": matrix,
                           "seen_accuracy": seen_accuracy, "never_seen_accuracy": never_seen_accuracy,
                           "seconds": time.perf_counter() - start}
                if first:
                    payload["display_images"] = show.images
                    payload["display_captions"] = show.captions
                    payload["held_out"] = list(config.held_out)
                    first = False
                progress.partial(payload)
            progress.report((step + 1) / config.steps,
                            f"Training mini-CLIP: step {step + 1} of {config.steps}, loss {losses[-1]:.3f}")
        steps_done = step + (0 if cancelled else 1)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            final_matrix = (model.encode_images(show_pixels) @ model.encode_texts(show_ids).T).cpu().numpy()
        # kept with the saved model so the app can show the last run's curve and matrix after a restart
        stride = max(1, len(losses) // 1000)
        encoder = MiniClipEncoder(model.cpu(), config.model, info={
            "steps": steps_done, "seconds": round(seconds, 1), "final_loss": losses[-1] if losses else None,
            "trained_at": time.strftime("%Y-%m-%d %H:%M:%S"), "seed": config.seed, "batch_size": config.batch_size,
            "n_train": config.n_train, "losses": [round(x, 4) for x in losses[::stride]],
            "display_matrix": np.round(final_matrix, 4).tolist()}, held_out_pairs=config.held_out)
        result = TrainResult(encoder, losses, seconds, steps_done, cancelled)
        if evaluate and not cancelled:
            progress.report(None, "Testing on new images: of seen pairs, and of the never-seen pairs")
            result.accuracy = pair_accuracy(encoder, seed=10_000 + config.seed)
            encoder.info.update(accuracy_seen_pairs=round(result.accuracy.seen, 4),
                                accuracy_never_seen_pairs=_round(result.accuracy.never_seen),
                                accuracy_images=result.accuracy.images)
        return result


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


class _LiveProbe:
    """A few fresh images of seen and of never-seen pairs, classified among all 24 prompts while training runs.

    Small (80 each) so that measuring every `eval_every` steps costs a few per cent of the training time.
    """

    def __init__(self, config: TrainConfig, device, n: int = 80) -> None:
        import torch
        from explorer.core.multimodal import prompts

        held_out = tuple(config.held_out)
        size = config.model.image_size
        self.sets = [shapes.generate(n, seed=30_000 + config.seed, size=size, labels=shapes.seen_labels(held_out))]
        if held_out:
            self.sets.append(shapes.generate(n, seed=40_000 + config.seed, size=size,
                                             labels=shapes.pair_labels(held_out)))
        self.pixels = [pixels_to_tensor(d.images).to(device) for d in self.sets]
        self.labels = [torch.from_numpy(d.labels).to(device) for d in self.sets]
        self.prompt_ids = torch.from_numpy(encode_texts(prompts(shapes.class_names(), PROMPT_TEMPLATE),
                                                        config.model.vocab, config.model.max_words)).to(device)

    def accuracy(self, model) -> tuple[float, float | None]:
        """(seen, never-seen) accuracy now; call in eval mode under no_grad."""
        texts = model.encode_texts(self.prompt_ids)
        scores = [float(((model.encode_images(x) @ texts.T).argmax(dim=1) == y).float().mean())
                  for x, y in zip(self.pixels, self.labels)]
        return scores[0], (scores[1] if len(scores) > 1 else None)


def _adamw(model, weight_decay: float):
    """torch's AdamW, with no decay on biases, norms and the temperature (the 1-d parameters), as usual.

    Its first use imports torch's compiler (about 1.1 s and 70 MB here), once per process, which a host
    that has run any transformers model has already paid; a training run takes minutes.
    """
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim > 1], "weight_decay": weight_decay},
              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, betas=(0.9, 0.999), eps=1e-8)
