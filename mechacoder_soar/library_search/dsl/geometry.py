"""Geometry: flips, rotations, crops, scaling, tiling and mirror-concatenation."""
from __future__ import annotations

import numpy as np

from ..compiled import kernel, kernel_grid
from ..registry import Pairs, mark_compiled, register
from ._infer import bg_options


def flip_lr(grid):
    return np.asarray(grid)[:, ::-1]


def flip_ud(grid):
    return np.asarray(grid)[::-1, :]


def rot90(grid):
    # counter-clockwise, as np.rot90(g, 1), by slicing (np.rot90's argument handling costs many
    # times the view it returns)
    return np.asarray(grid).T[::-1]


def rot180(grid):
    return np.asarray(grid)[::-1, ::-1]


def rot270(grid):
    return np.asarray(grid)[::-1].T


def transpose(grid):
    return np.asarray(grid).T


def anti_transpose(grid):
    return np.asarray(grid)[::-1, ::-1].T


def crop_to_content(grid, bg=0):
    g = np.asarray(grid)
    rows = np.where((g != bg).any(axis=1))[0]
    cols = np.where((g != bg).any(axis=0))[0]
    if len(rows) == 0:
        raise ValueError("grid has no content to crop")
    return g[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def scale_up(grid, ky=2, kx=2):
    g = np.asarray(grid)
    return np.repeat(np.repeat(g, ky, axis=0), kx, axis=1)


def scale_down(grid, ky=2, kx=2):
    # each ky x kx block becomes its most common colour (robust to a few noisy pixels)
    g = np.asarray(grid)
    h, w = g.shape
    if h % ky or w % kx:
        raise ValueError("grid does not divide into blocks")
    blocks = g.reshape(h // ky, ky, w // kx, kx).transpose(0, 2, 1, 3).reshape(h // ky, w // kx, ky * kx)
    # all blocks at once: sorted, each value's count in its block, the first (smallest) value
    # with the highest count
    s = np.sort(blocks, axis=2)
    counts = (s[:, :, :, None] == s[:, :, None, :]).sum(axis=3)
    return np.take_along_axis(s, counts.argmax(axis=2)[:, :, None], axis=2)[:, :, 0].astype(g.dtype)


def tile(grid, ny=2, nx=2):
    return np.tile(np.asarray(grid), (ny, nx))


def mirror_concat(grid, mode="right"):
    # np.concatenate directly: np.hstack/np.vstack add several times its cost in argument handling
    g = np.asarray(grid)
    cat = np.concatenate
    lr, ud = g[:, ::-1], g[::-1, :]
    if mode == "right":
        return cat((g, lr), 1)
    if mode == "left":
        return cat((lr, g), 1)
    if mode == "down":
        return cat((g, ud))
    if mode == "up":
        return cat((ud, g))
    if mode == "quad":
        return cat((cat((g, lr), 1), cat((ud, g[::-1, ::-1]), 1)))
    if mode == "quad_rev":
        return cat((cat((g[::-1, ::-1], ud), 1), cat((lr, g), 1)))
    if mode == "quad_rot":
        return cat((cat((g, g[::-1].T), 1), cat((g.T[::-1], g[::-1, ::-1]), 1)))   # np.rot90 by 3, 1, 2
    if mode == "quad_rot_rev":
        return cat((cat((g, g.T[::-1]), 1), cat((g[::-1].T, g[::-1, ::-1]), 1)))   # np.rot90 by 1, 3, 2
    if mode == "right_ud":
        return cat((g, ud), 1)
    if mode == "down_lr":
        return cat((g, lr))
    raise ValueError(f"unknown mirror mode {mode!r}")


MIRROR_MODES = ["right", "left", "down", "up", "quad", "quad_rev", "quad_rot", "quad_rot_rev",
                "right_ud", "down_lr"]


def self_kron(grid, invert=False, bg=0, colour=-1):
    # the grid placed in every cell of itself that is (not) background — or, with colour >= 0, of
    # that colour: a fractal-like blow-up
    g = np.asarray(grid)
    mask = (g == bg) if invert else (g != bg)
    if colour >= 0:
        mask = g == colour
    out = np.full((g.shape[0] ** 2, g.shape[1] ** 2), bg, dtype=g.dtype)
    h, w = g.shape
    for i in range(h):
        for j in range(w):
            if mask[i, j]:
                out[i * h:(i + 1) * h, j * w:(j + 1) * w] = g
    return out


def _colour_box(g, colour):
    # the bounding box (y0, y1, x0, x1), ends exclusive, of the cells of one colour
    ys, xs = np.nonzero(g == colour)
    if len(ys) == 0:
        raise ValueError("colour not present")
    return ys.min(), ys.max() + 1, xs.min(), xs.max() + 1


@kernel
def _colour_box_kernel(g, colour):
    # (y0, y1, x0, x1) as _colour_box gives it; y1 is 0 where the colour is absent
    h, w = g.shape
    y0, y1, x0, x1 = h, -1, w, -1
    for y in range(h):
        for x in range(w):
            if g[y, x] == colour:
                y0, y1, x0, x1 = min(y0, y), max(y1, y), min(x0, x), max(x1, x)
    return y0, y1 + 1, x0, x1 + 1


def _colour_box_twin(g, colour):
    k = kernel_grid(g, colour)
    if k is None:
        return _colour_box(g, colour)
    box = _colour_box_kernel(k, int(colour))
    if box[1] == 0:
        raise ValueError("colour not present")
    return box


mark_compiled(_colour_box, _colour_box_twin)


def crop_to_colour(grid, colour=1, inner=False):
    # the bounding box of one colour (a frame, a marker), optionally without its one-cell rim
    g = np.asarray(grid)
    y0, y1, x0, x1 = _colour_box(g, colour)
    if inner:
        y0, y1, x0, x1 = y0 + 1, y1 - 1, x0 + 1, x1 - 1
        if y1 <= y0 or x1 <= x0:
            raise ValueError("nothing inside")
    return g[y0:y1, x0:x1]


def remove_border(grid):
    g = np.asarray(grid)
    if g.shape[0] < 3 or g.shape[1] < 3:
        raise ValueError("grid too small to remove its border")
    return g[1:-1, 1:-1]


def _run_starts(g):
    # the first row of each run of identical adjacent rows
    return [0] + [i for i in range(1, g.shape[0]) if not np.array_equal(g[i], g[i - 1])]


def dedup_rows_cols(grid):
    # collapse runs of identical adjacent rows, then of identical adjacent columns
    g = np.asarray(grid)
    g = g[_run_starts(g)]
    return g[:, _run_starts(g.T)]


@kernel
def _run_starts_kernel(g):
    h, w = g.shape
    keep = np.empty(h, dtype=np.int64)
    keep[0] = 0
    n = 1
    for i in range(1, h):
        for j in range(w):
            if g[i, j] != g[i - 1, j]:
                keep[n] = i
                n += 1
                break
    return keep[:n]


def _run_starts_twin(g):
    k = kernel_grid(g)
    return _run_starts(g) if k is None or k.shape[0] == 0 else _run_starts_kernel(k)


mark_compiled(_run_starts, _run_starts_twin)


def take_half(grid, which="top"):
    g = np.asarray(grid)
    h, w = g.shape
    if which == "top":
        return g[: h // 2]
    if which == "bottom":
        return g[(h + 1) // 2:]
    if which == "left":
        return g[:, : w // 2]
    if which == "right":
        return g[:, (w + 1) // 2:]
    raise ValueError(f"unknown half {which!r}")


# ---------------------------------------------------------------- parameter inference


def _ratios(pairs: Pairs):
    rs = set()
    for a, b in pairs:
        if a.shape[0] == 0 or a.shape[1] == 0:
            return None
        rs.add((b.shape[0] / a.shape[0], b.shape[1] / a.shape[1]))
    return rs.pop() if len(rs) == 1 else None


def _int_factors(r, up: bool):
    if r is None:
        return None
    ry, rx = r if up else (1 / r[0] if r[0] else 0, 1 / r[1] if r[1] else 0)
    if ry >= 1 and rx >= 1 and float(ry).is_integer() and float(rx).is_integer() and (ry, rx) != (1, 1):
        return int(ry), int(rx)
    return None


def _scale_up_infer(pairs: Pairs) -> list[dict]:
    f = _int_factors(_ratios(pairs), up=True)
    if f:
        return [{"ky": f[0], "kx": f[1]}]
    return [{"ky": 2, "kx": 2}, {"ky": 3, "kx": 3}]


def _scale_down_infer(pairs: Pairs) -> list[dict]:
    f = _int_factors(_ratios(pairs), up=False)
    if f:
        return [{"ky": f[0], "kx": f[1]}]
    out = []
    for k in (2, 3):
        if all(a.shape[0] % k == 0 and a.shape[1] % k == 0 for a, _ in pairs):
            out.append({"ky": k, "kx": k})
    return out


def _tile_infer(pairs: Pairs) -> list[dict]:
    f = _int_factors(_ratios(pairs), up=True)
    return [{"ny": f[0], "nx": f[1]}] if f else []


def _crop_infer(pairs: Pairs) -> list[dict]:
    return [{"bg": b} for b in bg_options(pairs)]


def _kron_space(pairs: Pairs) -> list[dict]:
    if not all(b.shape == (a.shape[0] ** 2, a.shape[1] ** 2) for a, b in pairs):
        return []
    res = [{"invert": inv, "bg": b} for b in bg_options(pairs) for inv in (False, True)]
    # "place a copy wherever the most common colour is": colour chosen per task from the inputs
    res += [{"bg": 0, "colour": int(c)} for c in range(10)
            if all((a == c).any() for a, _ in pairs)]
    return res


def _crop_colour_space(pairs: Pairs) -> list[dict]:
    res = []
    for c in range(10):
        if all((a == c).any() for a, _ in pairs):
            res += [{"colour": c, "inner": False}, {"colour": c, "inner": True}]
    return res


def _mirror_shape(params: dict, a: np.ndarray) -> tuple[int, int] | None:
    """mirror_concat's output shape (the rotating quadrants need a square grid: not predicted)."""
    h, w = a.shape
    return {"right": (h, 2 * w), "left": (h, 2 * w), "right_ud": (h, 2 * w), "down": (2 * h, w), "up": (2 * h, w),
            "down_lr": (2 * h, w), "quad": (2 * h, 2 * w), "quad_rev": (2 * h, 2 * w)}.get(params.get("mode", "right"))


def _half_shape(params: dict, a: np.ndarray) -> tuple[int, int] | None:
    h, w = a.shape
    return {"top": (h // 2, w), "bottom": (h - (h + 1) // 2, w), "left": (h, w // 2),
            "right": (h, w - (w + 1) // 2)}.get(params.get("which", "top"))


register(flip_lr, category="geometry", cost=1.0,
         description="Mirror the grid left-to-right (reverse every row).")
register(flip_ud, category="geometry", cost=1.0,
         description="Mirror the grid top-to-bottom (reverse the row order).")
register(rot90, category="geometry", cost=1.0,
         description="Rotate the grid 90 degrees counter-clockwise.")
register(rot180, category="geometry", cost=1.0,
         description="Rotate the grid 180 degrees.")
register(rot270, category="geometry", cost=1.0,
         description="Rotate the grid 90 degrees clockwise.")
register(transpose, category="geometry", cost=1.0,
         description="Transpose the grid (swap rows and columns, reflect on the main diagonal).")
register(anti_transpose, category="geometry", cost=1.1,
         description="Reflect the grid on its anti-diagonal.")
register(crop_to_content, category="geometry", cost=1.0, infer=_crop_infer,
         description="Crop the grid to the bounding box of all non-background cells.")
register(scale_up, category="geometry", cost=1.0, infer=_scale_up_infer,
         description="Scale the grid up by integer factors: every cell becomes a ky x kx block.")
register(scale_down, category="geometry", cost=1.2, infer=_scale_down_infer,
         description="Scale the grid down by integer factors: every ky x kx block becomes one cell of its majority colour.")
register(tile, category="geometry", cost=1.0, infer=_tile_infer,
         description="Repeat the whole grid ny times vertically and nx times horizontally.")
register(mirror_concat, category="geometry", cost=1.0, out_shape=_mirror_shape,
         space=[{"mode": m} for m in MIRROR_MODES],
         description="Concatenate the grid with its mirror image (right/left/down/up, or four quadrants of flips or rotations) to make a symmetric larger grid.")
register(self_kron, category="geometry", cost=1.3, space=_kron_space,
         out_shape=lambda params, a: (a.shape[0] ** 2, a.shape[1] ** 2),
         description="Fractal blow-up: place a copy of the grid in every (non-)background cell of itself, giving an (h*h) x (w*w) grid.")
register(crop_to_colour, category="geometry", cost=1.1, space=_crop_colour_space, helpers=[_colour_box],
         description="Crop to the bounding box of one colour (e.g. a frame or marker), optionally keeping only what is inside its rim.")
register(remove_border, category="geometry", cost=1.2,
         description="Remove the outermost frame of cells (first/last row and column).")
register(dedup_rows_cols, category="geometry", cost=1.2, helpers=[_run_starts],
         description="Collapse runs of identical adjacent rows and columns into one, leaving the compressed pattern.")
register(take_half, category="geometry", cost=1.2, out_shape=_half_shape,
         space=[{"which": w} for w in ("top", "bottom", "left", "right")],
         description="Keep one half of the grid: top, bottom, left or right.")
