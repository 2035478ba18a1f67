"""Fail when two of brainml's builds would compile the same dependency with different features.

Every notebook's kernel builds brainml with that notebook's features (its `:dep` line); the CLI
and the tests build it with all features (plus dev-dependencies). All of them share one target
folder ($BRAINML_CACHE/target), so a dependency is compiled once only if it gets the same
features in every one of these builds. `cargo tree` resolves each build's features without
compiling anything; this script compares them package by package and names the crates that
differ, with the features to add to the "feature pins" in Cargo.toml.

Usage: python3 scripts/check_features.py      (from anywhere; needs cargo, reads notebooks/)
"""
import collections
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINE = re.compile(r"^(\S+ v\S+)(?: \([^)]*\))* \[(.*)\]")


def host_triple():
    out = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    return next(l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("host: "))


def notebook_features():
    """{notebook: feature list} from each committed notebook's `:dep brainml = ...` line."""
    found = {}
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.load(open(nb))["cells"]:
            src = "".join(cell.get("source", ""))
            m = re.search(r':dep\s+brainml\s*=\s*\{[^}]*\}', src)
            if cell.get("cell_type") == "code" and m:
                feats = re.search(r"features\s*=\s*\[([^\]]*)\]", m.group(0))
                found[nb.name] = re.findall(r'"([^"]+)"', feats.group(1)) if feats else []
                break
    return found


def resolve(args, edges):
    cmd = ["cargo", "tree", "--locked", "-e", edges, "--target", host_triple(), "--prefix", "none",
           "-f", "{p} [{f}]"] + args
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"check_features: {' '.join(cmd)} failed:\n{out.stderr}")
    feats = collections.defaultdict(set)
    for line in out.stdout.splitlines():
        m = LINE.match(line.strip())
        if m and not m.group(1).startswith("brainml "):
            feats[m.group(1)].add(m.group(2))
    return feats


def main():
    builds = {"CLI and tests (--all-features, dev-dependencies)": resolve(["--all-features"], "normal,build,dev")}
    for nb, feats in notebook_features().items():
        args = ["--no-default-features"] + (["--features", ",".join(feats)] if feats else [])
        builds[f"{nb} (features {feats})"] = resolve(args, "normal,build")
    if len(builds) < 2:
        sys.exit("check_features: no notebook with a `:dep brainml` line found")
    per_pkg = collections.defaultdict(dict)
    for name, feats in builds.items():
        for pkg, sets in feats.items():
            per_pkg[pkg][name] = frozenset(sets)
    bad = [(pkg, d) for pkg, d in sorted(per_pkg.items()) if len(set(d.values())) > 1]
    for pkg, d in bad:
        print(f"FAIL {pkg} is built with different features:", file=sys.stderr)
        for name, sets in d.items():
            print(f"       {name}: {' | '.join(sorted(sets))}", file=sys.stderr)
    print(f"   {len(builds)} builds, {len(per_pkg)} dependency crates, {len(bad)} with differing features")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
