"""The seed DSL: importing this package registers every primitive in `registry.PRIMITIVES`."""
from . import colour, denoise, drawing, geometry, gravity, objects, partition, symmetry  # noqa: F401
from . import object_moves, rules, tiling  # noqa: F401  (after the modules whose helpers they reuse)
