"""The exact linear attacker of the suppression tests, independent of the suppression code.

It sees groups as sets of indivisible atoms (respondents who are always shown together or not
at all) and the revealed groups' totals, and finds every set of atoms with 1..k-1 respondents
whose total is *any* linear combination of the revealed totals.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from fractions import Fraction
from math import lcm


def kernel(rows: Sequence[Sequence[int]], width: int) -> list[list[int]]:
    """Integer basis of {x : row . x = 0 for every row}, by exact Gauss-Jordan elimination."""
    matrix = [[Fraction(v) for v in row] for row in rows]
    pivots: list[int] = []
    r = 0
    for col in range(width):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead = matrix[r][col]
        matrix[r] = [v / lead for v in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][col] != 0:
                factor = matrix[i][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivots.append(col)
        r += 1
    basis = []
    for free in (c for c in range(width) if c not in pivots):
        vector = [Fraction(0)] * width
        vector[free] = Fraction(1)
        for row, col in enumerate(pivots):
            vector[col] = -matrix[row][free]
        scale = lcm(*(v.denominator for v in vector))
        basis.append([int(v * scale) for v in vector])
    return basis


def small_derivable_sets(
    sizes: Mapping[str, int], groups: Collection[Collection[str]], k: int
) -> list[str]:
    """Every set of atoms (``sizes``: atom -> respondents, all > 0) with 1..k-1 respondents
    whose total is a linear combination of the totals of ``groups`` (sets of atoms).

    A 0/1 vector is a linear combination of the groups' vectors exactly when it is orthogonal
    to the kernel of the matrix they form; sets are enumerated smallest first and pruned at
    k respondents.
    """
    atoms = sorted(sizes, key=lambda a: (sizes[a], a))
    index = {a: i for i, a in enumerate(atoms)}
    rows = []
    for group in groups:
        row = [0] * len(atoms)
        for atom in group:
            row[index[atom]] = 1
        rows.append(row)
    basis = kernel(rows, len(atoms))
    found: list[str] = []

    def extend(start: int, chosen: list[str], n: int, sums: list[int]) -> None:
        for i in range(start, len(atoms)):
            size = n + sizes[atoms[i]]
            if size >= k:
                return  # atoms are sorted by size: every later one is at least as big
            new_sums = [s + vec[i] for s, vec in zip(sums, basis, strict=True)]
            if not any(new_sums):
                found.append(f"{[*chosen, atoms[i]]} ({size} respondents)")
            extend(i + 1, [*chosen, atoms[i]], size, new_sums)

    extend(0, [], 0, [0] * len(basis))
    return found
