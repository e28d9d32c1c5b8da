"""The Tokenizers topic: the tokenizer lab pane (pane.py), its sections and the views only it uses."""
