"""A CLIP small enough to train from scratch on a laptop CPU in a couple of minutes.

Two encoders map images and captions into one 64-d space:
- images: a small CNN on 32x32 pixels (3 conv blocks, global pooling, a linear layer);
- text: a bag of words (the mean of the word vectors, then a linear layer), so "purple" and "star"
  compose into a caption it never read. (Copies saved with the older text encoder, one tiny
  transformer layer over the words, still load.)
They learn from the synthetic shapes (see `shapes_dataset`) with CLIP's
symmetric contrastive (InfoNCE) loss and a learnable temperature.

Zero-shot means unseen: training never shows four colour-shape pairs
(`shapes.HELD_OUT_PAIRS`, recorded with the weights as `held_out_pairs`),
neither drawn nor named. `pair_accuracy` gives the two figures the app
states: new images of the pairs it trained on, and true zero-shot on the
never-seen pairs, each image classified among all 24 prompts. Shapes in
colours that have no name, captioned by shape only, are mixed into training
so that a shape is learnt apart from the colours it came in.

The trained model is saved as safetensors plus a JSON config holding its
vocabulary and the weights' sha256, and wrapped in `MiniClipEncoder`, the
app's `ImageTextEncoder`. A copy trained with the default recipe ships with
the app (resources/models/mini-clip, made by tools/train_shipped_mini_clip.py);
a copy the user trains goes to the user cache and takes over.
It knows coloured shapes and nothing else: it is not a real CLIP.

The package, by concern: `text` (words to ids), `config` (model and training settings), `model` (the
network and the loss), `data` (what training sees), `training` (the loop), `evaluation` (the two accuracy
figures), `encoder` (the app-facing wrapper), `storage` (save, check, load). Every public name is
importable from here.
"""
from __future__ import annotations

from explorer.core.mini_clip.config import ModelConfig, TrainConfig
from explorer.core.mini_clip.data import display_batch, training_data
from explorer.core.mini_clip.encoder import MODEL_NAME, SHIPPED_NAME, MiniClipEncoder
from explorer.core.mini_clip.evaluation import (LABEL_SET, PROMPT_TEMPLATE, SEEN_LABEL, UNSEEN_LABEL, PairAccuracy,
                                                accuracy_figures, describe_accuracy, pair_accuracy,
                                                zero_shot_accuracy)
from explorer.core.mini_clip.model import build_model, caption_fits, contrastive_loss, pixels_to_tensor
from explorer.core.mini_clip.storage import (CONFIG_FILE, FORMAT, HELD_OUT_KEY, MAX_HEADER_BYTES, SHA256_KEY,
                                             WEIGHTS_FILE, DamagedModel, held_out_pairs, load, read_checked, save)
from explorer.core.mini_clip.text import BOS, PAD, UNK, encode_texts, unknown_words, words
from explorer.core.mini_clip.training import TrainResult, train
from explorer.core.threads import cpu_threads, torch_threads

__all__ = [
    "BOS", "CONFIG_FILE", "DamagedModel", "FORMAT", "HELD_OUT_KEY", "LABEL_SET", "MAX_HEADER_BYTES", "MODEL_NAME",
    "MiniClipEncoder", "ModelConfig", "PAD", "PROMPT_TEMPLATE", "PairAccuracy", "SEEN_LABEL", "SHA256_KEY",
    "SHIPPED_NAME", "TrainConfig", "TrainResult", "UNK", "UNSEEN_LABEL", "WEIGHTS_FILE", "accuracy_figures",
    "build_model", "caption_fits", "contrastive_loss", "cpu_threads", "describe_accuracy", "display_batch",
    "encode_texts", "held_out_pairs", "load", "pair_accuracy", "pixels_to_tensor", "read_checked", "save",
    "torch_threads", "train", "training_data", "unknown_words", "words", "zero_shot_accuracy",
]
