"""The Embeddings topic: its pane (pane.py), one module per tab, and the projection panel they share."""
