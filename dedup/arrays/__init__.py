"""Numpy helpers shared by every layer: a hash finaliser, sorted unique, a growable column."""
