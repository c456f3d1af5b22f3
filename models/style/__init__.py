"""The style layer (torch-free): the style file format, the naming rules of a style's files,
the style bundle (one style and its files: which file runs where) and the catalog."""
