"""List every crate version that a target folder holds more than one compiled copy of.

After a cold set-up (bench/setup.sh) each dependency should be compiled once: one
lib<name>-<hash>.rlib per crate version in $CARGO_TARGET_DIR/<host>/debug/deps (target side)
and $CARGO_TARGET_DIR/debug/deps (build scripts' and proc macros' side). A second hash means
cargo compiled that version again with other features, flags or profile. brainml itself is
expected once per feature set (one per notebook session plus the CLI/tests' all-features build).

Usage: python3 bench/build_reuse.py TARGET_DIR      (exit 1 if any dependency has two copies)
"""
import collections
import pathlib
import re
import sys

VERSION = re.compile(r"/([A-Za-z0-9_.+-]+?)-(\d+\.\d+\.\d+[A-Za-z0-9.+-]*)/")


def copies(deps):
    """{(side, crate, version): [hash, ...]} from the .d dep-info files next to each artifact."""
    found = collections.defaultdict(list)
    for d in deps.glob("*.d"):
        m = re.match(r"(.+)-([0-9a-f]{16})$", d.stem)
        if not m:
            continue
        name, h = m.groups()
        if not any(deps.glob(f"lib{name}-{h}.*")) and not any(deps.glob(f"{name}-{h}")):
            continue
        text = d.read_text(errors="ignore").split(": ", 1)[-1]
        v = VERSION.search(text.replace("\\", "/"))
        version = v.group(2) if v else "path"
        found[(deps.parent.parent.name if deps.parent.name == "debug" else "?", name, version)].append(h)
    return found


def main(target):
    target = pathlib.Path(target)
    sides = [p for p in target.glob("*/debug/deps")] + [target / "debug" / "deps"]
    dup, total = [], 0
    for deps in sides:
        if not deps.is_dir():
            continue
        for (side, name, version), hashes in sorted(copies(deps).items()):
            total += 1
            if len(hashes) > 1 and name != "brainml":
                dup.append(f"{deps.relative_to(target)}: {name} {version} compiled {len(hashes)} times")
            if name == "brainml":
                print(f"   {deps.relative_to(target)}: brainml compiled {len(hashes)} times (one per feature set)")
    print(f"   {total} crate versions compiled, {len(dup)} of them more than once")
    for line in dup:
        print("   TWICE " + line)
    return 1 if dup else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
