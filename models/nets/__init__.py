"""The nets layer (torch): the transform and SR nets, their shared layers, the registry
(torch-free cards; ``create_model`` imports a net's module when it builds one) and the
checkpoint format. Importing the package imports no torch, so ``list_models()`` works
without it. See docs/development.md, "The nets".
"""
