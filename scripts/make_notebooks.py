"""Write the workshop notebooks' *sources* (cells without outputs) from the text below.

The committed notebooks hold outputs from a real run (scripts/run.sh executes them in place);
this script is only for (re)creating a notebook's cells when its text changes:
    .venv/bin/python scripts/make_notebooks.py 00_check
Each notebook's cells are in scripts/notebooks/nbNN_name.py.
    --check           fail if a committed notebook's cell sources differ from its generator
    --sync-markdown   copy the generators' markdown cells into the committed notebooks (outputs
                      kept: markdown has none), for text-only edits that need no re-execution
"""
import importlib
import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "notebooks"))

KERNEL = {"kernelspec": {"name": "rust", "display_name": "Rust (brainml)", "language": "rust"},
          "language_info": {"name": "Rust", "file_extension": ".rs", "mimetype": "text/rust",
                            "codemirror_mode": "rust", "pygment_lexer": "rust"}}



def sources():
    """Each notebook's cells live in scripts/notebooks/nbNN_name.py (CELLS, REQUIRE, NAME)."""
    mods = [importlib.import_module(p.stem) for p in sorted((HERE / "notebooks").glob("nb*.py"))]
    return {m.NAME: m for m in mods}


def compare(sync):
    """Cell sources of every committed notebook against its generator; returns the problems."""
    problems = []
    for name, m in sources().items():
        path = HERE.parent / "notebooks" / f"{name}.ipynb"
        nb = nbformat.read(str(path), as_version=4)
        if [c.cell_type for c in nb.cells] != [c.cell_type for c in m.CELLS]:
            problems.append(f"{path.name}: cells differ in number or kind from scripts/notebooks/")
            continue
        changed = False
        for i, (have, want) in enumerate(zip(nb.cells, m.CELLS)):
            if have.source == want.source:
                continue
            if sync and have.cell_type == "markdown":
                have.source, changed = want.source, True
            else:
                problems.append(f"{path.name}: {have.cell_type} cell {i} differs from its generator")
        if changed:
            nbformat.write(nb, str(path))
            print("synced markdown of", path)
    return problems


def main(names):
    if names and names[0] in ("--check", "--sync-markdown"):
        problems = compare(sync=names[0] == "--sync-markdown")
        for p in problems:
            print("FAIL", p, file=sys.stderr)
        if not problems:
            print("   notebook sources match scripts/notebooks/")
        sys.exit(1 if problems else 0)
    all_nbs = sources()
    for name in names or all_nbs:
        m = all_nbs[name]
        meta = dict(KERNEL, brainml={"require": m.REQUIRE})
        nb = nbformat.v4.new_notebook(cells=m.CELLS, metadata=meta)
        path = HERE.parent / "notebooks" / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1:])
