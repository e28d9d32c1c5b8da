"""Whether a transformers model is causal (a decoder: each token attends only to itself and earlier tokens)."""
from __future__ import annotations


def is_causal(model_or_config) -> bool:
    """True for a decoder (GPT-2, Llama, SmolLM2), False for an encoder (BERT, MiniLM); a model or its config.

    One rule, readable before the weights load: the declared architecture has a causal-LM head
    (`...ForCausalLM`, `...LMHeadModel`), or an encoder is configured as a decoder (`is_decoder`), or the
    model type is one transformers knows only as a causal LM (a config built in code, such as a random
    Llama or GPT-2, declares no architecture, and its base model without the head is causal too).
    """
    config = getattr(model_or_config, "config", model_or_config)
    architectures = getattr(config, "architectures", None) or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures):
        return True
    if getattr(config, "is_decoder", False):
        return True
    from transformers.models.auto.modeling_auto import (MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
                                                        MODEL_FOR_MASKED_LM_MAPPING_NAMES)

    # BERT-like types sit in both tables (a BERT head can be made causal): only is_decoder makes them so
    model_type = getattr(config, "model_type", None)
    return model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES and model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES
