"""Sphinx configuration of the multimarkets documentation (``python -m sphinx -W docs OUT`` builds it)."""

from multimarkets import __version__

project = "multimarkets"
author = "multimarkets developers"
copyright = "2026, multimarkets developers"
release = __version__
version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# attrs writes __init__ from the fields; the class docstring describes them.
autoclass_content = "class"

html_theme = "alabaster"
html_title = f"multimarkets {__version__}"
