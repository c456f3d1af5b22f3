"""The runtime layer (torch-free): engines that run a style file on a backend."""
