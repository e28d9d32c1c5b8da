"""The main window's parts, one concern per module; explorer/ui/main_window.py puts them together."""
