# Sphinx configuration that mirrors the settings of the kernel's
# Documentation/conf.py that matter for Documentation/bpf, so that a page
# that builds here without warnings drops into the kernel tree. Used by the
# Sphinx test in docgen/tests/sphinx.rs (sphinx-build -c docgen/sphinx).

import os
import sys

project = 'mapspec'

# kernel_stand_ins.py, beside this file: the kernel's kernel-figure and
# kernel-doc directives, checked for form, rendered as placeholders.
# No __pycache__ is left in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# The kernel enables autosectionlabel with these settings: the document
# title and chapter titles become labels, so they must be unique per page.
extensions = ['sphinx.ext.autosectionlabel', 'kernel_stand_ins']
autosectionlabel_prefix_document = True
autosectionlabel_maxdepth = 2

primary_domain = 'c'
highlight_language = 'none'

# Documentation/bpf has no index of its own that we generate: maps.rst is
# the root here (in the kernel, bpf/index.rst includes it).
root_doc = 'maps'

exclude_patterns = ['_build']
html_theme = 'alabaster'
