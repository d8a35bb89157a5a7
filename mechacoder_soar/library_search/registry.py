"""The primitive record and the registry the DSL modules fill.

Each primitive is written once as ordinary Python in a `dsl/*.py` module. Its *source* (with any
shared helpers inlined as nested functions) is what a rendered program carries into the sandbox;
it is compiled at registration in a namespace holding only `np`, so a primitive that leans on a
module global fails at import time here, not later in a sandbox.

The in-process `fn` the search calls is the same function body compiled with its helpers as
globals instead of nested defs, so helpers marked with `mark_cacheable` (connected components,
grid partitions: pure functions of the grid) are memoised across every primitive and every node
of a search — the search re-analyses the same intermediate grids thousands of times — and helpers
marked with `mark_compiled` are replaced by their numba twins (compiled.py).
"""
from __future__ import annotations

import ast
import bisect
import builtins
import inspect
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from xxhash import xxh3_128_digest

from . import compiled

CATEGORIES = (
    "geometry", "colour", "objects", "drawing", "gravity", "symmetry", "denoise", "partition", "rules",
)

Pairs = Sequence[tuple[np.ndarray, np.ndarray]]
Infer = Callable[[Pairs], list[dict]]


class NodePairs(list):
    """One search node's (grid, output) pairs, as the engine hands them to every primitive's
    inference: a list of pairs with a `memo` where inference helpers keep what they derive from
    the pairs (background, colours: `dsl/_infer.py:pair_memo`), asked again by each primitive."""

    __slots__ = ("memo",)

    def __init__(self, pairs: Iterable[tuple[np.ndarray, np.ndarray]] = ()):
        super().__init__(pairs)
        self.memo: dict = {}


OutShape = Callable[[dict, np.ndarray], "tuple[int, int] | None"]


@dataclass(frozen=True)
class Primitive:
    name: str
    description: str
    category: str
    source: str
    fn: Callable[..., Any]
    infer: Infer | None
    cost: float = 1.0
    out_shape: "OutShape | None" = None   # (params, input) -> its output's shape where known without running it


PRIMITIVES: dict[str, Primitive] = {}


def build_source(fn: Callable, helpers: Iterable[Callable] = ()) -> str:
    """`fn`'s source with each helper's source inserted as a nested def at the top of its body
    (after the docstring), so the result needs nothing but numpy."""
    src = textwrap.dedent(inspect.getsource(fn))
    helpers = list(helpers)
    if not helpers:
        return src
    fdef = ast.parse(src).body[0]
    body = fdef.body
    first = body[0]
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str) and len(body) > 1):
        first = body[1]
    lines = src.splitlines()
    idx = first.lineno - 1
    indent = lines[idx][: len(lines[idx]) - len(lines[idx].lstrip())]
    nested: list[str] = []
    for h in helpers:
        nested.extend(textwrap.indent(textwrap.dedent(inspect.getsource(h)), indent).splitlines())
    lines[idx:idx] = nested
    return "\n".join(lines) + "\n"


_COMPILED: dict[str, Callable] = {}    # helper name -> its compiled twin (compiled.py)
_CACHEABLE: dict[str, Callable] = {}   # helper name -> memoised in-process version
_MEMO_MAX = 1024   # entries per helper before its cache is cleared (bounds memory: a 30x30 grid
                  # and its components are ~100 kB; hits come from nearby nodes anyway)


def array_key(a: np.ndarray) -> tuple:
    """A memo key for an array: shape, dtype and a 128-bit XXH3 digest of its cells (hashing the
    bytes of a 30x30 grid as a dict key costs several times the digest; collisions are out of
    reach as in `engine.grid_digest`). The dtype object itself, not its `.str` (a new string to
    build and hash on every call): dtypes compare and hash by what they are."""
    return a.shape, a.dtype, xxh3_128_digest(a if a.flags.c_contiguous else a.tobytes())


def _memo_key(args: tuple, kwargs: dict) -> tuple:
    if not kwargs:   # the usual call: positional arguments only (a loop: cheaper than a generator)
        key = []
        for a in args:
            key.append(array_key(a) if type(a) is np.ndarray else a)
        return tuple(key)
    key: list = []
    for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
        key.append(array_key(a) if isinstance(a, np.ndarray) else a)
    return tuple(key) + tuple(sorted(kwargs))


def mark_cacheable(helper: Callable, uses: Iterable[Callable] = ()) -> Callable:
    """Memoise `helper` (a pure function of arrays and hashables) for in-process primitive calls
    (its compiled twin, where `mark_compiled` gave it one first). `uses`: the helpers it calls
    (themselves memoised or twinned where marked). Its results are shared between callers, so
    callers must treat them as read-only. Call it after the def (not as a decorator: the helper's
    source is inlined verbatim into rendered programs)."""
    name = helper.__name__
    fn = _COMPILED.get(name) or _compile_fast(helper, list(uses))
    cache: dict = {}

    def memo(*args, **kwargs):
        g = args[0] if args else None
        if not kwargs and type(g) is np.ndarray and g.flags.c_contiguous:
            # the usual call (a C-ordered grid, then settings) keyed inline, as `_memo_key` keys it;
            # an array among the settings leaves the key unhashable: computed, not memoised
            k = ((g.shape, g.dtype, xxh3_128_digest(g)), *args[1:])
        else:
            k = _memo_key(args, kwargs)
        try:
            hit = cache.get(k)
        except TypeError:           # an unhashable argument: just compute
            return fn(*args, **kwargs)
        if hit is None:
            if len(cache) >= _MEMO_MAX:
                cache.clear()
            try:
                hit = (True, fn(*args, **kwargs))
            except Exception as e:  # failures are answers too (e.g. "no separators")
                hit = (False, (type(e), e.args))
            cache[k] = hit
        if hit[0]:
            return hit[1]
        # a fresh exception each time: re-raising one object would grow its traceback forever
        raise hit[1][0](*hit[1][1])

    memo.__name__ = name
    memo.__wrapped__ = fn  # type: ignore[attr-defined]
    _CACHEABLE[name] = memo
    return memo


def mark_compiled(helper: Callable, twin: Callable) -> None:
    """Bind `twin` (same arguments, same result, compiled by numba) in place of `helper` in the
    in-process `fn` of every primitive registered after this call; the rendered source keeps the
    helper. Does nothing where compiled twins are off (`compiled.ENABLED`)."""
    if compiled.ENABLED:
        _COMPILED[helper.__name__] = twin


def cached(helper: Callable) -> Callable:
    """The memoised version of a helper registered with `mark_cacheable` (for inference code)."""
    return _CACHEABLE[helper.__name__]


def _compile_fast(fn: Callable, helpers: list[Callable]) -> Callable:
    """`fn` with its helpers as globals (compiled twins or memoised ones where marked) rather than
    nested defs."""
    ns: dict[str, Any] = {"np": np, "__builtins__": builtins}
    for h in helpers:
        hn = h.__name__
        if hn in _CACHEABLE:      # memoised (around its compiled twin where it has one)
            ns[hn] = _CACHEABLE[hn]
        elif hn in _COMPILED:
            ns[hn] = _COMPILED[hn]
        else:
            exec(compile(textwrap.dedent(inspect.getsource(h)), f"<helper {hn}>", "exec"), ns)
    exec(compile(textwrap.dedent(inspect.getsource(fn)), f"<primitive {fn.__name__}>", "exec"), ns)
    return ns[fn.__name__]


def compile_source(name: str, source: str) -> Callable:
    ns: dict[str, Any] = {"np": np, "__builtins__": builtins}
    exec(compile(source, f"<primitive {name}>", "exec"), ns)
    fn = ns.get(name)
    if not callable(fn):
        raise ValueError(f"primitive source does not define a function named {name!r}")
    return fn


def input_shape(params: dict, a: np.ndarray) -> tuple[int, int]:
    """`out_shape` of a primitive whose output always has its input's shape."""
    return a.shape


def enum_infer(fn: Callable, space: "Sequence[dict] | Callable[[Pairs], Sequence[dict]]",
               out_shape: OutShape | None = None) -> Infer:
    """Parameter inference by trying every setting in a small `space` on the pairs. `space` may be
    a function of the pairs (e.g. colours seen in them). Settings that reproduce every output
    exactly come first, then the rest by pixel agreement on the first pair; settings that raise on
    the first pair are dropped. Only settings exact on the first pair are run on the others, which
    keeps inference about one primitive call per setting. When nothing matches the output shape
    (the step is an intermediate one) the space order is kept, so likelier settings come first.
    `run(params, grid)`, when given, stands in for calling `fn` (the search passes one that shares
    these runs with the programs it evaluates next: the chosen settings' first grids are done).
    `limit`, when given, says only the first `limit` settings of the ranking are wanted: the ranking
    stops once `limit` settings are exact, and a setting that `out_shape` says cannot give the first
    output's shape (it would rank with the misfits, in space order) is run only if the ranking's
    head still needs misfits."""
    fixed = None if callable(space) else list(space)

    def infer(pairs: Pairs, run: Callable[[dict, np.ndarray], Any] | None = None,
              limit: int | None = None) -> list[dict]:
        if not pairs:
            return []
        call = run or (lambda params, a: fn(a, **params))
        settings = fixed if fixed is not None else list(space(pairs))
        a0, b0 = pairs[0]
        scored: list[tuple] = []   # (-exact, -pixel agreement or 1.0 for a misfit, index, params)
        later: list[int] = []      # settings that cannot fit, by index
        n_exact = n_fit = 0
        # a primitive that keeps its input's shape fits for every setting or for none
        all_misfit = a0.shape != b0.shape if out_shape is input_shape else None
        for i, params in enumerate(settings):
            if out_shape is not None and (all_misfit if all_misfit is not None
                                          else _cannot_fit(out_shape, params, a0, b0.shape)):
                later.append(i)
                continue
            score = _score(call, params, pairs)
            if score is None:
                continue
            exact, pix = score
            scored.append((-exact, -pix, i, params))
            n_fit += pix >= 0
            n_exact += exact
            if limit is not None and n_exact >= limit:
                later = []   # every later setting and every misfit ranks below these exact ones
                break
        if later:
            scored += _misfits(settings, later, scored, call, a0, None if limit is None else limit - n_fit)
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored]

    infer.shares_runs = True  # type: ignore[attr-defined]
    infer.takes_limit = True  # type: ignore[attr-defined]
    return infer


def _cannot_fit(out_shape: OutShape, params: dict, a0: np.ndarray, shape: tuple) -> bool:
    try:
        s = out_shape(params, a0)
    except Exception:   # no prediction: the setting is run
        return False
    return s is not None and tuple(s) != shape


def _score(call: Callable, params: dict, pairs: Pairs) -> tuple[int, float] | None:
    """(exact on every pair, pixel agreement on the first or -1.0 where its shape differs), None
    where the setting raises on the first pair."""
    a0, b0 = pairs[0]
    try:
        o = np.asarray(call(params, a0))
    except Exception:
        return None
    pix = compiled.count_equal(o, b0) / b0.size if o.shape == b0.shape else -1.0
    if pix != 1.0:
        return 0, pix
    for a, b in pairs[1:]:
        try:
            o = np.asarray(call(params, a))
        except Exception:
            return 0, pix
        if o.shape != b.shape or not np.array_equal(o, b):
            return 0, pix
    return 1, pix


def _misfits(settings: Sequence[dict], later: list[int], scored: list[tuple], call: Callable,
             a0: np.ndarray, need: int | None) -> list[tuple]:
    """Score entries of the deferred settings that run on `a0` (misfits: they rank after every
    setting that fits, in space order), as far as the `need` first misfits of the ranking go."""
    if need is not None and need <= 0:
        return []
    known = sorted(t[2] for t in scored if t[1] == 1.0)   # misfits already run
    out: list[tuple] = []
    for i in later:
        if need is not None and bisect.bisect_left(known, i) + len(out) >= need:
            break   # the first `need` misfits all come before setting i
        try:
            np.asarray(call(settings[i], a0))
        except Exception:
            continue
        out.append((0, 1.0, i, settings[i]))
    return out


def register(
    fn: Callable,
    *,
    description: str,
    category: str,
    infer: Infer | None = None,
    space: "Sequence[dict] | Callable[[Pairs], Sequence[dict]] | None" = None,
    cost: float = 1.0,
    helpers: Iterable[Callable] = (),
    keeps_shape: bool = False,
    out_shape: OutShape | None = None,
) -> Primitive:
    """Add `fn` to PRIMITIVES. `space` (a small list of param dicts, or a function of the pairs that
    proposes one) gives enumerative inference ranked by fit; `infer` gives a custom one; neither
    means the primitive takes no parameters. `out_shape(params, input)`: the output's shape where it
    is known without running the primitive (None where not), which lets inference skip settings;
    `keeps_shape=True` declares that it is always the input's (a unit test checks every declared
    shape against the real one)."""
    name = fn.__name__
    if category not in CATEGORIES:
        raise ValueError(f"primitive {name!r}: unknown category {category!r}; use one of {CATEGORIES}")
    if name in PRIMITIVES:
        raise ValueError(f"primitive {name!r} registered twice")
    if infer is not None and space is not None:
        raise ValueError(f"primitive {name!r}: give either infer or space, not both")
    helpers = list(helpers)
    source = build_source(fn, helpers)
    compile_source(name, source)   # the rendered form must stand alone: fail here if it does not
    compiled = _compile_fast(fn, helpers) if helpers else compile_source(name, source)
    if keeps_shape:
        out_shape = input_shape
    if space is not None:
        infer = enum_infer(compiled, space, out_shape)
    prim = Primitive(name=name, description=description, category=category, source=source,
                     fn=compiled, infer=infer, cost=cost, out_shape=out_shape)
    PRIMITIVES[name] = prim
    return prim
