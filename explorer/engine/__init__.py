"""Qt threading glue: one long-lived worker thread that owns the models. No model logic."""
from explorer.engine.engine import Engine, JobContext

__all__ = ["Engine", "JobContext"]
