"""Readers of file formats into their text form (registered in index/formats.py)."""
