"""Thin launcher: `python main.py` (or a double-click) opens the window."""
import multiprocessing

from explorer.app import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the bundle's model host process starts as this executable
    main()
