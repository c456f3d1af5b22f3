"""What a style is and how it runs.

Importing this package never imports torch: the runtime (catalog, engines) must work
on machines that only run styles. The torch-only modules are ``nets`` and
``checkpoint``; import them explicitly when training or exporting.
"""

from models.errors import StyleError
from models.registry import create_model, list_models

__all__ = ["StyleError", "create_model", "list_models"]
