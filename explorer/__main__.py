"""`python -m explorer`: the same entry point as the `llm-explorer` command (the app, or a CLI subcommand)."""
from explorer.app import main

# guarded: the model host process (multiprocessing "spawn") imports this module again as __mp_main__
if __name__ == "__main__":
    main()
