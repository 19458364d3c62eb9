"""Dissection of trained networks and comparison with neural recordings.

May import both :mod:`alrnn_tasks` and :mod:`agents`.
"""

__all__: list[str] = []
