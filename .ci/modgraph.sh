#!/usr/bin/env bash
# The module graph: for each directory given, the edges between its
# top-level modules, and a failure when they form a cycle.
#
# Usage: .ci/modgraph.sh [-q] [-r] DIR...
#
# DIR (relative to the current folder) is a crate's source root (the folder of its lib.rs or main.rs, such as
# `src` or `core/src`) or a module's folder inside one (`src/pool`). Its
# nodes are the modules directly in it: each `NAME.rs` and each `NAME/`
# holding Rust files (lib.rs, main.rs, mod.rs and a crate's `bin/` are the
# root, not nodes). A file of node A that names node B is an edge A -> B:
# a `use` of, or a path through, `crate::`, `super::` or `self::` that
# resolves into B, in code (comments, strings and doc links do not count),
# including the paths of inline modules (`mod tests { use super::*; }`) and
# the names the folder's root re-exports (`crate::Worker` is `worker` when
# lib.rs says `pub use worker::Worker`). A glob (`use super::*`) names no
# node. Modules should form a one-way chain; the script prints each
# folder's edges, and exits 1 naming every cycle it finds. -r also checks
# every module folder inside each DIR, at any depth (not a crate's `bin/`,
# whose files are crates of their own); -q prints only the cycles. Needs
# bash and python3, nothing else.
set -euo pipefail

exec python3 - "$@" <<'PY'
import os
import re
import sys

args = sys.argv[1:]
quiet = recursive = False
while args and args[0] in ("-q", "-r"):
    if args[0] == "-q":
        quiet = True
    else:
        recursive = True
    args = args[1:]
if not args:
    sys.exit("usage: .ci/modgraph.sh [-q] [-r] DIR...")

ROOT_FILES = ("lib.rs", "main.rs")

TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<line>//[^\n]*)
      | (?P<raw>b?r(?P<hashes>\#*)")
      | (?P<str>b?"(?:\\.|[^"\\])*")
      | (?P<char>b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^'\\\n])')
      | (?P<life>'[A-Za-z_]\w*)
      | (?P<ident>(?:r\#)?[A-Za-z_]\w*)
      | (?P<path>::)
      | (?P<num>[0-9][\w.]*)
      | (?P<punct>.)""",
    re.X | re.S,
)


def tokens(text):
    """The identifiers, `::` and punctuation of a Rust file, without
    comments, strings and character literals."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            continue
        m = TOKEN.match(text, i)
        kind = m.lastgroup
        if kind == "hashes":
            kind = "raw"
        if kind == "raw":
            end = text.find('"' + m.group("hashes"), m.end())
            i = n if end < 0 else end + 1 + len(m.group("hashes"))
            continue
        i = m.end()
        if kind in ("ident", "path", "punct"):
            tok = m.group(kind)
            out.append(tok[2:] if tok.startswith("r#") else tok)
    return out


def use_tree(toks, i, prefix, out):
    """Expands the use tree starting at toks[i] into `out` (lists of
    segments); returns the index after it."""
    path = list(prefix)
    while i < len(toks):
        t = toks[i]
        if t == "{":
            i += 1
            while toks[i] != "}":
                i = use_tree(toks, i, path, out)
                if toks[i] == ",":
                    i += 1
            return i + 1
        if t == "*":
            out.append(path + ["*"])
            return i + 1
        if t == "::":
            i += 1
            continue
        if re.match(r"\w+$", t):
            if t == "self" and path:
                i += 1
            else:
                path.append(t)
                i += 1
            if i < len(toks) and toks[i] == "as":
                out.append(path + ["as", toks[i + 1]])
                return i + 2
            continue
        break
    out.append(path)
    return i


def references(toks):
    """Yields (inline module path, path) for every `use` and every path
    through crate/super/self in the file."""
    mods, depth, pending = [], 0, None
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "mod" and i + 2 < len(toks) and toks[i + 2] == "{":
            pending = toks[i + 1]
            i += 2
            continue
        if t == "{":
            depth += 1
            if pending is not None:
                mods.append((pending, depth))
                pending = None
        elif t == "}":
            if mods and mods[-1][1] == depth:
                mods.pop()
            depth -= 1
        elif t == "use" and (i == 0 or toks[i - 1] != "::"):
            out = []
            j = use_tree(toks, i + 1, [], out)
            for p in out:
                yield [m for m, _ in mods], p
            i = j
            continue
        elif t in ("crate", "super", "self") and i + 1 < len(toks) and toks[i + 1] == "::":
            if i > 0 and toks[i - 1] in ("$", "::"):
                i += 1
                continue
            p, j = [t], i + 1
            while j + 1 < len(toks) and toks[j] == "::" and re.match(r"\w+$", toks[j + 1]):
                p.append(toks[j + 1])
                j += 2
            yield [m for m, _ in mods], p
            i = j
            continue
        i += 1


def resolve(here, path):
    """The absolute module path `path` names from module `here`, or None
    for a path into another crate (or a name in scope)."""
    if not path:
        return None
    head, rest = path[0], path[1:]
    if head == "crate":
        return rest
    if head == "self":
        return here + rest
    if head == "super":
        up = here
        while path and path[0] == "super":
            up, path = up[:-1], path[1:]
        return up + path
    return None


def crate_root(d):
    """The crate source root above (or at) folder d, and d's module path."""
    parts, cur = [], os.path.normpath(d)
    while True:
        if any(os.path.isfile(os.path.join(cur, f)) for f in ROOT_FILES):
            return cur, list(reversed(parts))
        parent = os.path.dirname(cur)
        if parent == cur or not parent:
            sys.exit(f"modgraph: {d}: not inside a crate's source root")
        parts.append(os.path.basename(cur))
        cur = parent


def module_path(root, f):
    rel = os.path.relpath(f, root)[: -len(".rs")].split(os.sep)
    if rel[-1] == "mod" or (len(rel) == 1 and rel[0] in ("lib", "main")):
        rel = rel[:-1]
    return rel


def rust_files(d):
    for base, dirs, files in os.walk(d):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".rs"):
                yield os.path.join(base, f)


def graph(d):
    root, here = crate_root(d)
    is_root = not here
    nodes = set()
    for e in sorted(os.listdir(d)):
        p = os.path.join(d, e)
        if e.endswith(".rs") and e not in ROOT_FILES + ("mod.rs",):
            nodes.add(e[:-3])
        elif os.path.isdir(p) and not (is_root and e == "bin") and any(rust_files(p)):
            nodes.add(e)
    # What the folder's root file re-exports: name -> node.
    root_file = None
    for c in ([os.path.join(d, f) for f in ROOT_FILES] if is_root
              else [os.path.join(d, "mod.rs"), d + ".rs"]):
        if os.path.isfile(c):
            root_file = c
            break
    reexports = {}
    if root_file:
        for _, p in references(tokens(open(root_file, encoding="utf-8").read())):
            if p and p[0] in ("crate", "self", "super"):
                p = resolve(here, p)
                if p is None or p[: len(here)] != here:
                    continue
                p = p[len(here):]
            if len(p) >= 2 and p[0] in nodes and p[-1] != "*":
                # The name in scope: the last segment, or the alias.
                reexports.setdefault(p[-1], p[0])
    edges = {n: set() for n in nodes}
    for n in nodes:
        files = [os.path.join(d, n + ".rs")] if os.path.isfile(os.path.join(d, n + ".rs")) else []
        if os.path.isdir(os.path.join(d, n)):
            files += list(rust_files(os.path.join(d, n)))
        for f in files:
            mp = module_path(root, f)
            for inline, p in references(tokens(open(f, encoding="utf-8").read())):
                target = resolve(mp + inline, p)
                if target is None or target[: len(here)] != here or len(target) <= len(here):
                    continue
                seg = target[len(here)]
                if seg in nodes:
                    to = seg
                elif seg in reexports:
                    to = reexports[seg]
                else:
                    continue
                if to != n:
                    edges[n].add(to)
    return edges


def cycles(edges):
    """Tarjan's strongly connected components with more than one node,
    each as one cycle through all of them where one exists in order."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def one_cycle(edges, comp):
    """A shortest cycle through the component's first node, as a path."""
    start, inside = comp[0], set(comp)
    prev, queue = {start: None}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v] & inside):
            if w == start:
                path = [v]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return list(reversed(path)) + [start]
            if w not in prev:
                prev[w] = v
                queue.append(w)
    return comp


def module_folders(d):
    """d, then (with -r) every folder of modules inside it, depth first."""
    yield d
    if not recursive:
        return
    is_root = any(os.path.isfile(os.path.join(d, f)) for f in ROOT_FILES)
    for e in sorted(os.listdir(d)):
        p = os.path.join(d, e)
        if os.path.isdir(p) and not (is_root and e == "bin") and any(rust_files(p)):
            yield from module_folders(p)


folders = []
for d in args:
    d = d.rstrip("/") or "."
    if not os.path.isdir(d):
        sys.exit(f"modgraph: {d}: no such folder")
    folders += module_folders(d)

failed = False
for d in folders:
    sys.stdout.flush()
    edges = graph(d)
    found = cycles(edges)
    if not quiet:
        print(f"{d}/")
        for n in sorted(edges):
            print(f"  {n} -> {', '.join(sorted(edges[n])) or '(nothing)'}")
    for comp in found:
        failed = True
        print(f"modgraph: FAIL {d}/: cycle {' -> '.join(one_cycle(edges, comp))}"
              f" (modules {', '.join(comp)})", file=sys.stderr, flush=True)
    if not found and not quiet:
        print("  no cycle")
sys.exit(1 if failed else 0)
PY
