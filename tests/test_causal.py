"""One rule says whether a model is causal, on a loaded model or on its config alone (before the weights load).

The truth checked against is transformers' own: the `is_causal` flag its attention layers carry. The real
offline models (MiniLM, SmolLM2) and random-weight configs built in code (no declared architecture), with and
without their language-model head; random weights are only there to have the layers, nothing is predicted.
"""
from __future__ import annotations

import pytest

from explorer.core.causal import is_causal

SMALL = dict(num_hidden_layers=1, hidden_size=32, num_attention_heads=2, intermediate_size=64, vocab_size=100)


def attention_layers_are_causal(model) -> bool:
    flags = {m.is_causal for m in model.modules() if isinstance(getattr(m, "is_causal", None), bool)}
    assert flags, "no attention layer with an is_causal flag: the check would prove nothing"
    return True in flags


def random_models():
    from transformers import (BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, GPT2Model, LlamaConfig,
                              LlamaForCausalLM, LlamaModel, RobertaConfig, RobertaForMaskedLM)

    llama = LlamaConfig(**SMALL, num_key_value_heads=1)
    gpt2 = GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=100, bos_token_id=0, eos_token_id=0)
    return {"Llama with its head": (LlamaForCausalLM(llama), True), "Llama without a head": (LlamaModel(llama), True),
            "GPT-2 with its head": (GPT2LMHeadModel(gpt2), True), "GPT-2 without a head": (GPT2Model(gpt2), True),
            "BERT": (BertModel(BertConfig(**SMALL)), False),
            "BERT configured as a decoder": (BertModel(BertConfig(**SMALL, is_decoder=True)), True),
            # a masked-LM head is called lm_head too: it is no sign of a decoder
            "RoBERTa with its masked-LM head": (RobertaForMaskedLM(RobertaConfig(**SMALL)), False)}


def test_random_configs_without_a_declared_architecture_get_transformers_own_answer():
    for name, (model, causal) in random_models().items():
        assert not getattr(model.config, "architectures", None), name  # built in code: nothing declared
        assert attention_layers_are_causal(model) is causal, name
        assert is_causal(model) is causal, name
        assert is_causal(model.config) is causal, name


@pytest.mark.parametrize("fixture, causal", [("minilm", False), ("smollm2", True)])
def test_the_real_models(request, fixture, causal):
    loaded = request.getfixturevalue(fixture)
    assert attention_layers_are_causal(loaded.model) is causal
    assert is_causal(loaded.model) is causal and is_causal(loaded.model.config) is causal
    assert loaded.extras["causal"] is causal  # what the loader decided from the config before loading
