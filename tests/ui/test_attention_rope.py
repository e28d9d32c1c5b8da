"""The RoPE tab plots the model's own frequencies and scale, driven through the attention pane.

The Llama 3-scaled model has random weights (tests/test_rope.py builds it): the test is about
which frequencies and which scale the tab draws, not about what the model predicts.
"""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import rope
from explorer.ui.attention.pane import AttentionPane
from explorer.ui.attention.tabs import TABS
from tests.helpers import show_pane
from tests.test_rope import tiny_llama3

TIMEOUT = 180_000
TINY_ID = "test/tiny-llama3-random"


def open_rope_tab(qtbot, pane, model_id: str, text: str) -> None:
    pane.set_model_id(model_id)
    pane.set_text(text)
    pane.tabs.setCurrentIndex([k for k, _ in TABS].index("rope"))
    pane.recompute()
    qtbot.waitUntil(lambda: pane.analysis is not None and pane.analysis.result.model_id == model_id
                    and pane.rope_view.capture is not None and not pane.is_busy(), timeout=TIMEOUT)


def plotted(plot) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.asarray(item.xData), np.asarray(item.yData)) for item in plot.listDataItems()]


@pytest.fixture
def tiny_engine(qtbot):
    """An engine whose model store already holds the random-weight Llama 3 model under a Hub-like id."""
    from transformers import AutoTokenizer

    from explorer.engine import Engine
    from explorer.models import catalogue, smollm2
    from explorer.models.loaded import LoadedModel
    from explorer.models.store import ModelStore

    model = tiny_llama3(attention_scale=0.2)
    tokenizer = AutoTokenizer.from_pretrained(str(smollm2.ensure_converted()))
    loaded = LoadedModel(catalogue.find(TINY_ID, "model"), model, tokenizer, None, extras={"causal": True})

    def store_factory():
        store = ModelStore(preference="cpu")
        store.put(("model", TINY_ID), loaded)
        return store

    engine = Engine(store_factory)
    yield engine, model
    assert engine.shutdown(60_000)


def test_the_rope_tab_plots_the_scaled_models_own_frequencies_and_scale(qtbot, tiny_engine):
    engine, model = tiny_engine
    pane = show_pane(qtbot, AttentionPane(engine), (1400, 900))
    open_rope_tab(qtbot, pane, TINY_ID, "Sarah fed the cat because it was hungry")
    view = pane.rope_view
    buffer = model.model.rotary_emb.inv_freq.double().numpy()
    formula = rope.inverse_frequencies(rope.rope_config(model.config))
    # the wavelengths drawn are the module's: 2 pi / inv_freq, not the plain formula's
    pairs, waves = plotted(view.wave_plot)[0]
    assert np.array_equal(pairs, np.arange(8))
    assert np.allclose(waves, 2 * np.pi / buffer, rtol=1e-12)
    assert not np.allclose(waves, 2 * np.pi / formula, rtol=1e-2)
    assert np.array_equal(view.data()["inverse_frequency"], buffer)
    assert "rope type “llama3”" in view.intro.text() and "7 of its 8 pairs" in view.intro.text()
    # the score curve uses the attention module's own scale (0.2 here, not 1/sqrt(16) = 0.25)
    q, k = view._real_vectors()
    distances, scores = plotted(view.score_plot)[0]
    assert np.allclose(scores, rope.score_vs_distance(q, k, buffer, len(distances) - 1, 0.2))
    assert "q·k × 0.2 when" in view.score_plot.getPlotItem().titleLabel.text
    pane.close()


def test_the_rope_tab_on_the_real_smollm2_matches_its_formula(qtbot, engine):
    pane = show_pane(qtbot, AttentionPane(engine), (1400, 900))
    pane.apply_preset("rope")
    qtbot.waitUntil(lambda: pane.analysis is not None and pane.rope_view.capture is not None
                    and not pane.is_busy(), timeout=TIMEOUT)
    view = pane.rope_view
    rc = rope.rope_config(pane.analysis.config)
    _pairs, waves = plotted(view.wave_plot)[0]
    assert np.allclose(waves, rope.wavelengths(rope.inverse_frequencies(rc)), rtol=1e-6)
    assert "no rope scaling" in view.intro.text() and "SmolLM2-135M-Instruct (4-bit Q4_1" in view.intro.text()
    assert view.scale == pytest.approx(64 ** -0.5)
    engine.cancel()
