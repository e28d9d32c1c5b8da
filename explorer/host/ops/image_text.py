"""Operations of the Images & text pane: images, CLIP-style embeddings, search indexes, captioners, mini-CLIP training.

The images a view works on stay in the host (`ctx.state[IMAGES]`), named by
their source (a file path, or "shapes:<i>" for a generated sample); so do
their embeddings, per model, and the search index. The GUI sends sources and
texts and gets what it draws: thumbnails as uint8 arrays, similarity matrices,
probabilities, map coordinates, top-k lists. A model that cannot run yet is
answered with {"unavailable": {...}}, never an exception: the pane offers to
train or download it.
"""
from __future__ import annotations

import itertools
from pathlib import Path

from explorer.host.operations import operation

IMAGES = "image_text.images"  # ctx.state key: source -> PIL image (RGB, at most image_io.WORKING_SIDE)
VECTORS = "image_text.vectors"  # ctx.state key: (model cache_key, source) -> unit vector
INDEX = "image_text.index"  # ctx.state key: {"generation", "index": core.image_index.ImageIndex}
THUMBNAIL_SIDE = 256
TOP_K = 24
SEARCH_SHAPES = 240
# the sample shapes shown in the views: (colour, shape, plainly drawn), rendered from one seed
SHAPE_SAMPLES = [("red", "circle", True), ("blue", "square", True), ("yellow", "star", False),
                 ("green", "triangle", False), ("purple", "star", True), ("orange", "circle", False)]
PHOTO_SAMPLE_NAMES = ("cat", "astronaut", "coffee", "rocket", "flower", "moon", "coins", "galaxies")
LOST_INDEX = "The search index is gone from the model process (it restarted): choose what to search in again."
_GENERATIONS = itertools.count(1)


# --- models ---
@operation("image_text.models")
def models(ctx) -> dict:
    """Which image-text models and captioners are on this computer, which mini-CLIP copy is used, and the network."""
    from explorer.models import catalogue, hub
    from explorer.models.image_text import mini_clip_status

    available = {e.id: catalogue.is_available(e) for e in catalogue.entries("image-text")
                 + catalogue.entries("captioner")}
    # which copy of the mini-CLIP is used (the user's training, else the shipped one), checked
    status = mini_clip_status()
    available["mini-clip"] = status.copy is not None
    return {"available": available, "mini_info": status.info, "mini_origin": status.origin,
            "mini_problems": list(status.problems), "mini_held_out": list(status.held_out_pairs),
            "online": hub.network_available()}


def unavailable(reason: str, message: str) -> dict:
    """The chosen model cannot run yet: reason "train" (mini-CLIP) or "download" (a Hub model)."""
    return {"unavailable": {"reason": reason, "message": message}}


def encoder_or_reason(ctx, model_id: str, allow_download: bool):
    """The loaded model's wrapper, or `unavailable(...)` (never raises for the expected cases)."""
    from explorer.models import catalogue, hub

    entry = catalogue.find(model_id, "image-text")
    if entry.id == "mini-clip":
        from explorer.models.image_text import NotTrainedYet

        if not catalogue.is_available(entry):
            return unavailable("train", "mini-CLIP is missing from this installation: click “Train mini-CLIP” "
                                        "above (about 2-3 minutes, offline) and it works in every view.")
        try:
            return ctx.models.get_entry(entry, ctx).model
        except NotTrainedYet as exc:  # every copy on disk is damaged: say which, offer training
            return unavailable("train", f"{exc} Click “Train mini-CLIP” above to make a new one.")
    if not catalogue.is_available(entry) and not allow_download:
        size = f" ({entry.size_mb:,.0f} MB)" if entry.size_mb else ""
        where = ("Click Download to fetch it." if hub.network_available()
                 else "There is no network here, so it cannot be fetched now.")
        return unavailable("download", f"{entry.title} needs a download from the Hugging Face Hub{size}. {where}")
    return ctx.models.get_entry(entry, ctx).model


def unknown_words_note(encoder, texts: list[str]) -> str:
    finder = getattr(encoder, "unknown_words", None)
    unknown = finder(texts) if finder is not None else []
    if not unknown:
        return ""
    shown = ", ".join(f"“{w}”" for w in unknown[:8]) + (" …" if len(unknown) > 8 else "")
    return (f"mini-CLIP never saw {shown} while training: it reads every such word as one “unknown” token. "
            "It knows the 6 colours, the 4 shapes and a few words like “photo”, “small”, “big”.")


# --- images ---
def _pixels(image, side: int = THUMBNAIL_SIDE):
    """A PIL image -> its thumbnail as an (h, w, 3) uint8 array (what the GUI paints)."""
    import numpy as np

    from explorer.core import image_io

    small = image_io.thumbnail(image, side) if max(image.size) > side else image
    return np.asarray(small.convert("RGB") if small.mode != "RGB" else small, dtype=np.uint8)


def _sample_shapes() -> dict[str, object]:
    from explorer.core import shapes_dataset as shapes
    import numpy as np

    rng = np.random.default_rng(2024)
    out = {}
    for i, (colour, shape, plain) in enumerate(SHAPE_SAMPLES):
        pixels, _ = shapes.render(shape, colour, rng, plain=plain, size=160)
        out[f"shapes:{i}"] = shapes.to_pil(pixels)
    return out


def _kept_images(ctx) -> dict:
    return ctx.state.setdefault(IMAGES, {})


@operation("image_text.samples")
def samples(ctx, *, kind: str) -> list[dict]:
    """The bundled sample shapes or photos, kept here; for the GUI: source, name, thumbnail, path."""
    from explorer.core import image_io

    kept = _kept_images(ctx)
    kept.clear()  # a new set of images replaces the old one
    rows = []
    if kind == "shapes":
        drawn = _sample_shapes()
        kept.update(drawn)
        for (colour, shape, _plain), (source, image) in zip(SHAPE_SAMPLES, drawn.items()):
            rows.append({"source": source, "name": f"{colour} {shape}", "pixels": _pixels(image), "path": None})
    elif kind == "photos":
        by_name = {name: path for name, path, _ in image_io.sample_photo_files()}
        for name in PHOTO_SAMPLE_NAMES:
            if name in by_name:
                source = str(by_name[name])
                kept[source] = image_io.load_image(source).image
                rows.append({"source": source, "name": name, "pixels": _pixels(kept[source]), "path": source})
    else:
        raise ValueError(f"unknown sample images {kind!r} (shapes or photos)")
    return rows


@operation("image_text.open")
def open_images(ctx, *, paths: list[str], replace: bool = False, limit: int = 200) -> dict:
    """Load dropped or chosen files/folders: keep what loads (the first `limit`), say why the rest did not."""
    from explorer.core import image_io

    report = image_io.load_images(paths, progress=ctx)
    kept = _kept_images(ctx)
    if replace:
        kept.clear()
    vectors = ctx.state.setdefault(VECTORS, {})
    rows = []
    for loaded in report.images[:limit]:
        source = str(loaded.path)
        kept[source] = loaded.image
        # the file may have changed since it was last embedded: embed it again
        for key in [k for k in vectors if k[1] == source]:
            del vectors[key]
        rows.append({"source": source, "name": loaded.name, "pixels": _pixels(loaded.image), "path": source})
    messages = list(report.messages)
    if len(report.images) > limit:
        messages.append(("", f"only the first {limit} of {len(report.images)} images are shown here; "
                             "the Search tab takes whole folders"))
    return {"rows": rows, "summary": report.summary(), "messages": messages}


def images_of(ctx, sources: list[str]) -> list:
    """The kept images for `sources`; those the host lost (a restart) are loaded or drawn again."""
    from explorer.core import image_io

    kept = _kept_images(ctx)
    if any(s not in kept and s.startswith("shapes:") for s in sources):
        kept.update(_sample_shapes())
    for source in sources:
        if source not in kept:
            kept[source] = image_io.load_image(source).image
    return [kept[s] for s in sources]


def embed_images(ctx, encoder, sources: list[str]):
    """Unit vectors for the images, reusing those this model already embedded."""
    import numpy as np

    vectors = ctx.state.setdefault(VECTORS, {})
    missing = [s for s in dict.fromkeys(sources) if (encoder.cache_key, s) not in vectors]
    if missing:
        new = encoder.embed_images(images_of(ctx, missing), progress=ctx)
        vectors.update({(encoder.cache_key, s): new[i] for i, s in enumerate(missing)})
    if not sources:
        return np.zeros((0, 1), dtype=np.float32)
    return np.stack([vectors[(encoder.cache_key, s)] for s in sources])


def _with_images(ctx, model_id: str, allow_download: bool, sources: list[str], compute):
    """Load the model (or say why not), embed the images, then compute(encoder, image_vectors) -> dict."""
    encoder = encoder_or_reason(ctx, model_id, allow_download)
    if isinstance(encoder, dict):
        return encoder
    return {"model": encoder.name, **compute(encoder, embed_images(ctx, encoder, sources))}


# --- the views ---
@operation("image_text.similarity")
def similarity(ctx, *, model_id: str, sources: list[str], captions: list[str], allow_download: bool = False):
    """The image x caption cosine matrix (one row per image)."""
    from explorer.core.multimodal import similarity_matrix

    def compute(encoder, image_vectors):
        return {"matrix": similarity_matrix(image_vectors, encoder.embed_texts(captions)),
                "note": unknown_words_note(encoder, captions)}

    return _with_images(ctx, model_id, allow_download, sources, compute)


@operation("image_text.zero_shot")
def zero_shot(ctx, *, model_id: str, sources: list[str], classes: list[str], template: str,
              allow_download: bool = False):
    """Each image's probability for each class, through the prompts "template with the class"."""
    from explorer.core.multimodal import zero_shot as classify

    def compute(encoder, image_vectors):
        result = classify(image_vectors, encoder, classes, template)
        return {"result": result, "note": unknown_words_note(encoder, result.prompts), "scale": encoder.logit_scale}

    return _with_images(ctx, model_id, allow_download, sources, compute)


@operation("image_text.joint_map")
def joint_map(ctx, *, model_id: str, sources: list[str], keywords: list[str], method: str = "pca",
              centre: bool = True, allow_download: bool = False):
    """Images and keywords projected together to 2-D, and each image's nearest keyword in the full space."""
    import numpy as np

    from explorer.core import projection
    from explorer.core.vectors import unit_rows

    def compute(encoder, image_vectors):
        text_vectors = encoder.embed_texts(keywords)
        if centre:
            # the modality gap: each cloud has its own mean direction; remove it so pairs line up
            image_vectors = unit_rows(image_vectors - image_vectors.mean(axis=0))
            text_vectors = unit_rows(text_vectors - text_vectors.mean(axis=0))
        points = np.concatenate([image_vectors, text_vectors]).astype(np.float32)
        params = {"perplexity": max(2.0, min(30.0, (len(points) - 1) / 3))} if method == "tsne" else {}
        proj = projection.project(points, method, 2, progress=ctx, **params)
        return {"coords": proj.coords, "titles": proj.axis_titles(), "nearest": (image_vectors @ text_vectors.T)
                .argmax(axis=1), "note": unknown_words_note(encoder, keywords)}

    return _with_images(ctx, model_id, allow_download, sources, compute)


# --- search ---
def _sample_shapes_folder(ctx) -> Path:
    """240 generated shapes as PNG files in the user cache (written once): a collection to search."""
    from explorer.core import shapes_dataset as shapes
    from explorer.models.paths import cache_dir

    folder = cache_dir() / "sample-shapes"
    if folder.is_dir() and len(list(folder.glob("*-[0-9][0-9][0-9].png"))) >= SEARCH_SHAPES:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    data = shapes.generate(SEARCH_SHAPES, seed=4242, size=96, plain_fraction=0.3)
    for i, (pixels, label) in enumerate(zip(data.images, data.labels)):
        ctx.check()
        name = shapes.class_names()[label].replace(" ", "-")
        shapes.to_pil(pixels).save(folder / f"{name}-{i + 1:03d}.png")
    return folder


@operation("image_text.index")
def index(ctx, *, model_id: str, source: str, folder: str | None = None, allow_download: bool = False):
    """Embed a collection to search (generated shapes, the sample photos or a folder); kept here.

    Returns the index's summary (paths, messages, how many were embedded now) or `unavailable(...)`.
    """
    from explorer.core import image_io
    from explorer.core.image_index import build_index
    from explorer.models.paths import cache_dir

    encoder = encoder_or_reason(ctx, model_id, allow_download)
    if isinstance(encoder, dict):
        return encoder
    if source == "shapes":
        sources = [str(_sample_shapes_folder(ctx))]
    elif source == "photos":
        sources = [str(path) for _, path, _ in image_io.sample_photo_files()]
    elif source == "folder" and folder:
        sources = [folder]
    else:
        raise ValueError(f"nothing to search in ({source!r})")
    ctx.state.pop(INDEX, None)  # the old one goes before the new one is built
    built = build_index(sources, encoder, progress=ctx, cache_root=cache_dir())
    generation = next(_GENERATIONS)
    ctx.state[INDEX] = {"generation": generation, "index": built}
    return built.summary(generation)


@operation("image_text.search")
def search(ctx, *, generation: int, model_id: str = "", query: str | None = None, position: int | None = None,
           image_path: str | None = None, allow_download: bool = False) -> dict:
    """The kept index's best TOP_K for a text, one of its images, or an image file: rows with thumbnails."""
    kept = ctx.state.get(INDEX)
    if kept is None or kept["generation"] != generation:
        raise LookupError(LOST_INDEX)
    found = kept["index"]
    note = ""
    if position is not None:
        ranking = found.search_image(position, TOP_K)
    else:
        encoder = encoder_or_reason(ctx, model_id, allow_download)
        if isinstance(encoder, dict):
            return encoder
        if image_path is not None:
            from explorer.core import image_io

            loaded = image_io.load_image(image_path)
            ranking, note = found.search_vector(encoder.embed_images([loaded.image])[0], TOP_K), loaded.note
        else:
            ranking, note = found.search_text(encoder, query or "", TOP_K), unknown_words_note(encoder, [query or ""])
    return {"rows": _result_rows(found, ranking), "note": note}


def _result_rows(found, ranking) -> list[dict]:
    """Each hit, best first: its position in the index, file name, cosine and thumbnail."""
    from explorer.core import image_io

    rows = []
    for position, score in zip(ranking.indices, ranking.scores):
        path = found.paths[int(position)]
        try:
            image = image_io.load_image(path, max_side=THUMBNAIL_SIDE).image
        except image_io.ImageLoadError:
            continue
        rows.append({"position": int(position), "name": path.name, "score": float(score), "pixels": _pixels(image)})
    return rows


# --- captioners ---
@operation("image_text.caption")
def caption(ctx, *, captioner: str, sources: list[str], prompt: str = "") -> dict:
    """Captions written by BLIP / BLIP-2 for the images; with BLIP-2, the Q-Former's outputs for the first."""
    model = ctx.models.get(captioner, "captioner", ctx).model
    images = images_of(ctx, sources)
    texts = model.caption(images, prompt=prompt, progress=ctx)
    query = model.qformer_outputs(images[0]) if model.is_blip2 and images else None
    return {"captions": texts, "name": model.name, "qformer": query}


@operation("image_text.qformer")
def qformer(ctx, *, source: str):
    """BLIP-2's Q-Former on one image: its query outputs, their similarity, cross-attention, nearest words."""
    [image] = images_of(ctx, [source])
    return ctx.models.get("blip2", "captioner", ctx).model.qformer_outputs(image)


# --- training ---
@operation("image_text.train")
def train(ctx, *, steps: int) -> dict:
    """Train the mini-CLIP from scratch (partial results: loss, batch matrix, live accuracy); save and use it."""
    from explorer.core import mini_clip
    from explorer.models import catalogue
    from explorer.models.image_text import mini_clip_loaded, train_and_save_mini_clip

    result = train_and_save_mini_clip(mini_clip.TrainConfig.default(steps), ctx, device=ctx.device)
    if not result.cancelled:
        ctx.models.put(("model", "mini-clip"),
                       mini_clip_loaded(result.encoder, catalogue.find("mini-clip", "image-text")))
        ctx.state.pop(INDEX, None)  # embedded with the old weights
    return {"cancelled": result.cancelled, "steps": result.steps_done, "seconds": result.seconds,
            "held_out": list(result.encoder.held_out_pairs), "info": dict(result.encoder.info)}
