"""Counts the cycles between feature folders (the packages under mdt/), with grimp (which
import-linter is built on). Every import counts, at module level or inside a function.

    .venv/bin/python scripts/folder_cycles.py [-v]

Prints the pairs of folders that import each other, the folders caught in a cycle of any
length, and the count of each; exits 1 if there is any cycle. A folder's imports are those
of every module in it, so `mdt.auth.oidc` counts as `auth`."""

import sys
from itertools import combinations

import grimp


def folder_graph(package: str = "mdt") -> tuple[dict[str, set[str]], dict]:
    graph = grimp.build_graph(package, cache_dir=None)
    folders = sorted(m.split(".")[1] for m in graph.find_children(package)
                     if graph.find_children(m))
    edges: dict[str, set[str]] = {f: set() for f in folders}
    why: dict[tuple[str, str], list[str]] = {}
    for module in graph.modules:
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in edges:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            target = imported.split(".")
            if len(target) < 2 or target[1] not in edges or target[1] == parts[1]:
                continue
            edges[parts[1]].add(target[1])
            why.setdefault((parts[1], target[1]), []).append(f"{module} -> {imported}")
    return edges, why


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of folders that reach each other."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    edges, why = folder_graph()
    pairs = [(a, b) for a, b in combinations(sorted(edges), 2)
             if b in edges[a] and a in edges[b]]
    groups = strongly_connected(edges)
    for a, b in pairs:
        print(f"{a} <-> {b}")
        if verbose:
            for line in why[(a, b)] + why[(b, a)]:
                print(f"    {line}")
    for group in groups:
        print("cycle among: " + ", ".join(group))
    print(f"folders that import each other: {len(pairs)} pairs; "
          f"folders in a cycle: {sum(len(g) for g in groups)}")
    return 1 if groups else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
