"""The seed DSL: importing this package registers every primitive in `registry.PRIMITIVES`."""
from . import colour, denoise, drawing, geometry, gravity, objects, partition, symmetry  # noqa: F401
