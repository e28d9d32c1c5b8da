"""LLM Explorer: see inside language models."""

__version__ = "0.1.0"
APP_NAME = "LLM Explorer"
DESKTOP_NAME = "llm-explorer"
