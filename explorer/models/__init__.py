"""Finds, downloads, converts, caches and loads weights and vocabularies. No Qt."""
