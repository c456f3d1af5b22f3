"""What a style is and how it runs, in three layers that import downwards only:

- ``stylecam.models.nets`` (torch): the transform nets, their registry, checkpoints;
- ``stylecam.models.style`` (torch-free): the style file format and the catalog;
- ``stylecam.models.runtime`` (torch-free): the engines.

Importing this package imports none of them, so it never imports torch.
"""
