"""The Embeddings pane's tabs (bag-of-words, word vectors, contextual, sentences, tokens, projector)."""
