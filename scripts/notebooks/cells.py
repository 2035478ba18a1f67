"""Cell constructors shared by the notebook sources in this folder."""
import nbformat


def md(s):
    return nbformat.v4.new_markdown_cell(s.strip())


def code(s):
    """A code cell. House style (evcxr): end a cell with a *variable* (`fig`), not with an
    expression holding `?` or moving a variable of the same cell — evcxr then fails to call
    `evcxr_display`, compiles the cell a second time and prints the value as Debug text."""
    return nbformat.v4.new_code_cell(s.strip())
