"""Widgets: the views of each topic (attention_*) and those shared by several (heatmap, scatter, plot axis, boxes)."""
