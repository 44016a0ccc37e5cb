"""Union-find over integer nodes, with an iterative find and union by size."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from dedup.arrays.kernels import follow_roots

__all__ = ["UnionFind", "components"]


class UnionFind:
    """Disjoint sets over ``0 .. n-1``.

    ``find`` is iterative with path halving, so deep chains never hit the recursion limit.

    Example:
        >>> sets = UnionFind(4)
        >>> sets.union(0, 1); sets.union(2, 3); sets.union(1, 3)
        >>> sets.find(0) == sets.find(2)
        True
    """

    __slots__ = ("parent", "size")

    def __init__(self, n: int) -> None:
        self.parent: list[int] = list(range(n))
        self.size: list[int] = [1] * n

    def find(self, x: int) -> int:
        """Return the representative of ``x``'s set."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, x: int, y: int) -> None:
        """Merge the sets of ``x`` and ``y``."""
        rx, ry = self.find(x), self.find(y)
        if rx == ry:
            return
        if self.size[rx] < self.size[ry]:
            rx, ry = ry, rx
        self.parent[ry] = rx
        self.size[rx] += self.size[ry]

    def labels(self) -> npt.NDArray[np.int64]:
        """Return, for each node, the smallest node of its set (a canonical label)."""
        n = len(self.parent)
        roots = follow_roots(np.asarray(self.parent, dtype=np.int64))
        smallest = np.full(n, n, dtype=np.int64)
        np.minimum.at(smallest, roots, np.arange(n, dtype=np.int64))
        return smallest[roots]


def components(n: int, edges: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Label the connected components of an undirected graph.

    Args:
        n: number of nodes.
        edges: (n_edges, 2) int64 node pairs.

    Returns:
        (n,) int64: each node's label, the smallest node of its component.

    Example:
        >>> components(5, np.array([[0, 3], [3, 4]])).tolist()
        [0, 1, 2, 0, 0]
    """
    # Vectorised hooking: every round, the larger root of each edge between two trees is hung
    # under the smallest root it meets, then every node jumps to its root. Parents only ever
    # decrease, so the forest stays acyclic and each root is the smallest node of its tree.
    parent = np.arange(n, dtype=np.int64)
    first, second = edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64)
    while first.size:
        root_first, root_second = parent[first], parent[second]
        apart = root_first != root_second  # an edge inside one tree stays inside it: drop it
        first, second = first[apart], second[apart]
        low = np.minimum(root_first[apart], root_second[apart])
        high = np.maximum(root_first[apart], root_second[apart])
        np.minimum.at(parent, high, low)
        parent = follow_roots(parent)
    return parent
