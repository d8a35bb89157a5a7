"""The static screen: which programs get a fresh executor after them."""
from __future__ import annotations

import re

SAFE_MODULES = frozenset(
    """__future__ numpy collections itertools math functools copy operator typing heapq bisect
    statistics string re random dataclasses enum fractions decimal array numbers cmath
    textwrap abc queue json scipy""".split()
)
SAFE_DUNDERS = frozenset(
    """__init__ __name__ __main__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__
    __hash__ __len__ __iter__ __next__ __getitem__ __setitem__ __contains__ __call__ __add__
    __sub__ __mul__ __post_init__ __slots__ __bool__ __enter__ __exit__ __future__ __and__
    __or__ __xor__ __neg__ __abs__ __radd__ __rmul__ __truediv__ __floordiv__ __mod__
    __annotations__ __doc__""".split()
)
_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+([.\w]+)[ \t]+import[ \t]+([^\n#;]+)|import[ \t]+([^\n#;]+))", re.M)
_DUNDER_RE = re.compile(r"__\w+?__")
_DANGER_RE = re.compile(
    r"\b(?:setattr|delattr|getattr|globals|vars|exec|eval|compile|breakpoint|open|input|memoryview"
    r"|f_globals|f_locals|f_back|f_builtins|f_code|gi_frame|cr_frame|ag_frame|tb_frame|tb_next"
    r"|gi_code|co_code)\b"
    # numpy file I/O and escape hatches reachable without an import statement
    r"|\.(?:save\w*|load\w*|fromfile|tofile|genfromtxt|memmap|DataSource|fromregex|ctypeslib|lib"
    r"|testing|f2py|distutils|os|sys|ctypes)\b"
)


def screen(code: str) -> str | None:
    """None if the program only uses pure, stateless-looking constructs; else why it is risky.
    Risky programs still run; their executor is retired right after them."""
    aliases = []
    for m in _IMPORT_RE.finditer(code):
        if m.group(1) is not None:
            mod = m.group(1)
            if mod.startswith("."):
                return f"relative import {mod}"
            if mod.split(".")[0] not in SAFE_MODULES:
                return f"imports {mod}"
            for part in m.group(2).replace("(", " ").replace(")", " ").split(","):
                toks = part.split()
                if toks:
                    aliases.append(toks[-1])
        else:
            for part in m.group(3).split(","):
                toks = part.split()
                if not toks:
                    continue
                if toks[0].split(".")[0] not in SAFE_MODULES:
                    return f"imports {toks[0]}"
                aliases.append(toks[-1].split(".")[0])
    for d in _DUNDER_RE.findall(code):
        if d not in SAFE_DUNDERS:
            return f"uses {d}"
    m = _DANGER_RE.search(code)
    if m:
        return f"uses {m.group(0)}"
    if aliases:
        alt = "|".join(re.escape(a) for a in set(aliases) if a.isidentifier())
        if alt and re.search(
            rf"(?:\b(?:{alt})\s*(?:\.\s*\w+\s*)+(?:[-+*/%&|^@]|//|\*\*|<<|>>)?=(?!=)|\bdel\s+(?:{alt})\s*\.)", code
        ):
            return "assigns to an attribute of an imported module or class"
    return None
