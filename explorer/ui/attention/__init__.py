"""The Attention pane and its tabs: every head, Q/K/V, local masks, GQA, RoPE, encoder vs decoder, next token."""
