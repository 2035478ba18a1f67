"""Fail if an executed notebook has an error cell or a panic; print what each cell showed.

Usage: check_notebook.py NOTEBOOK.ipynb [--require KIND ...]
KIND is a MIME type (image/png, text/html), stream:stderr / stream:stdout, or "figure" (a line
figure: text/html holding a data:image/svg+xml <img>); the notebook's own metadata can list
more under brainml.require. Fails too on an output that JupyterLab hides when the notebook is
opened (untrusted): image/svg+xml without an HTML or PNG alternative in the same bundle.
"""
import json
import sys


def main(argv):
    path = argv[1]
    required = argv[argv.index("--require") + 1:] if "--require" in argv else []
    nb = json.load(open(path))
    required += nb.get("metadata", {}).get("brainml", {}).get("require", [])
    problems, shown = [], {}
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        src = "".join(cell.get("source", ""))
        if not cell.get("execution_count"):
            problems.append(f"cell {i} was not executed: {src[:60]!r}")
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                problems.append(f"cell {i} error: {out.get('ename')}: {out.get('evalue', '')[:300]}")
            elif kind == "stream":
                shown["stream:" + out.get("name", "")] = shown.get("stream:" + out.get("name", ""), 0) + 1
                text = "".join(out.get("text", ""))
                if "panicked" in text or "Child process terminated" in text:
                    problems.append(f"cell {i} panicked: {text[:300]}")
            data = out.get("data", {})
            for mime in data:
                shown[mime] = shown.get(mime, 0) + 1
            html = "".join(data.get("text/html", ""))
            if "data:image/svg+xml" in html:
                shown["figure"] = shown.get("figure", 0) + html.count("data:image/svg+xml")
            if "image/svg+xml" in data and "text/html" not in data and "image/png" not in data:
                problems.append(f"cell {i}: a bare image/svg+xml output (hidden in an untrusted notebook)")
    for mime in required:
        if not shown.get(mime):
            problems.append(f"no {mime} output anywhere")
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(shown.items()))
    print(f"   {path}: {summary or 'no rich outputs'}")
    if problems:
        print("\n".join(f"   FAIL {p}" for p in problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
