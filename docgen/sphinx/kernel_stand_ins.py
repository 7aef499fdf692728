# Stand-ins for directives of the kernel's own Sphinx extensions:
# ``kernel-figure`` (Documentation/sphinx/kfigure.py). The pages use it for
# a file that only a kernel tree holds: a figure beside the pages in
# Documentation/bpf. The file is not in this repository, so the stand-in
# renders a placeholder that names it.
#
# What it does check is the form, as the real one would: one argument, and
# only the options the kernel's directive knows (an unknown option is an
# error, so a warning under -W). The real directive, with the real file,
# runs in the kernel-tree test (cli/tests/kernel_tree_build.rs).

from docutils import nodes
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


def setup(app):
    app.add_directive('kernel-figure', KernelFigure)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
