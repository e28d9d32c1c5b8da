"""Thin launcher: `python main.py` (or a double-click) opens the window."""
from explorer.app import main

if __name__ == "__main__":
    main()
