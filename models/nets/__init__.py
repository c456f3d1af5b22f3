"""The nets layer (torch): transform nets, their registry and the checkpoint format."""
