"""The nets layer (torch): transform nets, their registry and the checkpoint format.

Importing the package imports every module that registers an architecture, so that
``registry.create_model`` knows them all whichever submodule a caller imports first.
"""

from stylecam.models.nets import (
    sr,  # noqa: F401, I001  (registers the super-resolution nets)
    transform,  # noqa: F401  (registers the style nets)
)
