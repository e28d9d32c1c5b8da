"""The Images & text topic: its pane (pane.py), one module per tab, and the views only this topic uses."""
