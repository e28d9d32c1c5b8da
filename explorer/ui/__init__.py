"""Qt widgets only: the main window, one module per pane, shared widgets."""
import sys

if sys.version_info < (3, 12):
    # PySide6 6.12 on Python 3.11 drops a reference to None on every call of a void method
    # (QPainter.save, QWidget.update...): after ~16,000 calls None is freed and Python aborts
    # ("none_dealloc"). Python 3.12+ makes None immortal; do the same here.
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
