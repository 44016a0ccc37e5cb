"""A growable numpy column: amortised O(1) appends, a view of the filled part."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Column"]


class Column:
    """A numpy array that grows by doubling; ``view()`` is the filled part.

    Example:
        >>> column = Column(np.int32)
        >>> column.extend(np.arange(3))
        >>> column.extend([7])
        >>> column.view().tolist(), len(column)
        ([0, 1, 2, 7], 4)
    """

    __slots__ = ("_data", "_size")

    def __init__(self, dtype: npt.DTypeLike, width: int | None = None) -> None:
        shape = (16,) if width is None else (16, width)
        self._data: npt.NDArray[Any] = np.zeros(shape, dtype=dtype)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def view(self) -> npt.NDArray[Any]:
        """The filled rows (a view: writes go to the column)."""
        return self._data[: self._size]

    def extend(self, values: npt.ArrayLike) -> None:
        """Append rows."""
        block = np.asarray(values, dtype=self._data.dtype)
        n = block.shape[0] if block.ndim else 1
        end = self._size + n
        if end > self._data.shape[0]:
            grown = np.zeros(
                (max(end, 2 * self._data.shape[0]), *self._data.shape[1:]), self._data.dtype
            )
            grown[: self._size] = self._data[: self._size]
            self._data = grown
        self._data[self._size : end] = block
        self._size = end
