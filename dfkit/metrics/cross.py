"""Cross-manipulation / cross-dataset generalisation matrix (rows = train set, cols = test set)."""
import numpy as np


def cross_matrix(results, rows=None, cols=None):
    """Arrange ``{(train_name, test_name): auc}`` as a matrix.

    ``rows`` / ``cols`` fix the order (default: order of first appearance). A pair missing from
    ``results`` is NaN in the matrix (documented gap, e.g. a model not yet evaluated there).

    Returns ``(row_names list, col_names list, values (R, C) float64)``.
    """
    if not results:
        raise ValueError("cross_matrix needs at least one (train, test) result")
    rows = list(rows) if rows is not None else list(dict.fromkeys(train for train, _ in results))
    cols = list(cols) if cols is not None else list(dict.fromkeys(test for _, test in results))
    values = np.full((len(rows), len(cols)), np.nan)
    for (train, test), auc in results.items():
        if train not in rows or test not in cols:
            raise ValueError(f"result ({train!r}, {test!r}) is outside rows {rows} / cols {cols}")
        values[rows.index(train), cols.index(test)] = float(auc)
    return rows, cols, values
