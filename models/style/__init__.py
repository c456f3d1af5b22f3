"""The style layer (torch-free): the style file format and the catalog that finds styles."""
