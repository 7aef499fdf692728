# Stand-ins for two directives of the kernel's own Sphinx extensions:
# ``kernel-figure`` (Documentation/sphinx/kfigure.py) and ``kernel-doc``
# (Documentation/sphinx/kerneldoc.py). The pages use them for files that
# only a kernel tree holds: a figure beside the pages in Documentation/bpf,
# and the DOC comment of a kernel source file. Neither file is in this
# repository, so these stand-ins render a placeholder that names it.
#
# What they do check is the form, as the real ones would: one argument, and
# only the options the kernel's directives know (an unknown option is an
# error, so a warning under -W). The real directives, with the real files,
# run in the kernel-tree test (cli/tests/kernel_tree_build.rs).

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.parsers.rst.directives.images import Figure


class KernelFigure(Figure):
    """``.. kernel-figure:: FILE`` with the options and caption of a
    figure; the image becomes a line naming FILE."""

    def run(self):
        name = self.arguments[0]
        result = super().run()
        for node in result:
            if isinstance(node, nodes.figure):
                for image in list(node.findall(nodes.image)):
                    image.replace_self(nodes.paragraph(
                        text='[figure %s of the kernel tree]' % name))
        return result


class KernelDoc(Directive):
    """``.. kernel-doc:: SOURCE`` with kernel-doc's options; the section
    becomes a line naming it."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec = {
        'doc': directives.unchanged_required,
        'export': directives.unchanged,
        'internal': directives.unchanged,
        'identifiers': directives.unchanged,
        'no-identifiers': directives.unchanged,
        'functions': directives.unchanged,
    }

    def run(self):
        what = self.arguments[0]
        if 'doc' in self.options:
            what = 'the "%s" DOC section of %s' % (self.options['doc'], what)
        return [nodes.paragraph(text='[%s, from the kernel tree]' % what)]


def setup(app):
    app.add_directive('kernel-figure', KernelFigure)
    app.add_directive('kernel-doc', KernelDoc)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
