"""Operations served by the model host, one module per topic (see explorer/host/operations.py)."""
