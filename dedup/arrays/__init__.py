"""Numpy helpers shared by every layer: hash kernels, sorted unique, a growable column."""
