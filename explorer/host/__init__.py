"""The model host: one spawned child process that loads and runs every model.

The GUI process never imports torch, transformers or tokenizers. It asks the
host for named operations with plain-data arguments (`operations.py` holds the
registry) and gets plain data back; big arrays cross in shared memory
(`shared_arrays.py`). `server.py` is the child's main loop, `client.py` the
GUI side's handle on it (start, call, cancel, restart after a crash).
"""
