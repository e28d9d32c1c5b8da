"""The scatter view: a map zoomed or panned away from every point says so and offers the way back."""
from __future__ import annotations

import numpy as np

from explorer.ui.widgets.scatter import ScatterView


def test_a_view_away_from_every_point_offers_reset_view(qtbot):
    view = ScatterView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    coords = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    view.set_points(coords, [f"p{i}" for i in range(50)])
    view.reset_view()
    qtbot.wait(200)
    assert not view.away.isVisible()
    view.view_box.sigRangeChangedManually.emit([True, True])  # the user drags and zooms, far away:
    view.view_box.setRange(xRange=(1000, 1001), yRange=(1000, 1001), padding=0)
    qtbot.waitUntil(view.away.isVisible, timeout=2000)
    assert "Reset view" in view.away.text() and view.is_away()
    view.grab().save("/tmp/scatter_away.png")
    view.away.linkActivated.emit("reset")  # the user clicks the link
    (x0, x1), _ = view.view_box.viewRange()
    assert x0 <= coords[:, 0].min() and coords[:, 0].max() <= x1
    qtbot.waitUntil(lambda: not view.away.isVisible(), timeout=2000)
    # an empty map is not "away": it shows its own empty text
    view.set_points(np.zeros((0, 2), np.float32), [])
    view.view_box.setRange(xRange=(1000, 1001), yRange=(1000, 1001), padding=0)
    qtbot.wait(200)
    assert not view.away.isVisible()


def test_ticks_keep_the_data_values_after_a_theme_or_scale_change(qtbot):
    """pyqtgraph 0.14 scaled a titled -0.5..0.5 axis by 1000 when auto SI prefixes were switched off."""
    view = ScatterView()
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    coords = np.random.default_rng(1).uniform(-0.5, 0.5, size=(40, 2)).astype(np.float32)
    view.set_points(coords, [f"p{i}" for i in range(40)], axis_titles=["PCA 1", "PCA 2"])
    view.apply_view_settings(1.5, True)  # presenter scale, dark theme
    view.set_points(coords, [f"p{i}" for i in range(40)], axis_titles=["PCA 1", "PCA 2"])
    for name in ("bottom", "left"):
        axis = view.plot.getAxis(name)
        assert axis.tickStrings([0.3], axis.autoSIPrefixScale * axis.scale, 0.1) == ["0.3"]  # not "300"
        assert "(x" not in axis.labelString() and "PCA" in axis.labelString()
