"""Beyond one machine: a Chroma server for the library, Ray for per-task search.

Nothing here is imported by default: `ray` is an optional extra (`pip install "ray[default]"`)
and is imported only when `--executor ray` is asked for.
"""
