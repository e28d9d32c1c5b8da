"""Pure computation: numpy / torch / scikit-learn. Never imports Qt."""
