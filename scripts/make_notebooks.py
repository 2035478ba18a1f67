"""Write the workshop notebooks' *sources* (cells without outputs) from the text below.

The committed notebooks hold outputs from a real run (scripts/run.sh executes them in place);
this script is only for (re)creating a notebook's cells when its text changes:
    .venv/bin/python scripts/make_notebooks.py 00_check
Each notebook's cells are in scripts/notebooks/nbNN_name.py.
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


def main(names):
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
