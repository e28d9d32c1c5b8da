"""word2vec (skip-gram with negative sampling) trained here, in torch: corpus, training, saved vectors."""
