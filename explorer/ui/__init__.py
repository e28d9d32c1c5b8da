"""Qt widgets only: the main window, one module per pane, shared widgets."""
