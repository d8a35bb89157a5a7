"""A Dockerfile reader: just enough syntax to interpret a task's build steps without Docker.

Handles comments, line continuations, parser directives (ignored), exec (JSON) and shell forms,
BuildKit heredocs (`RUN <<EOF ... EOF`, `COPY <<EOT /path ... EOT`, `<<-` and quoted delimiters),
`ARG`/`ENV` substitution of `$VAR`/`${VAR}`/`${VAR:-default}`. It does not evaluate anything:
`LocalBuilder` decides, per instruction, whether it can honour it.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


class DockerfileError(ValueError):
    pass


@dataclass(frozen=True)
class Heredoc:
    name: str  # the delimiter word (EOF, EOT, ...)
    body: str  # the lines between the marker and the delimiter, newline-terminated
    expand: bool  # an unquoted delimiter: variables in the body are expanded


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    args: str  # the raw argument text, continuations joined (heredoc markers kept)
    lineno: int
    heredocs: tuple[Heredoc, ...] = ()

    def heredoc(self, marker: str) -> Heredoc | None:
        """The body a `<<NAME` source token stands for."""
        name = _HEREDOC.fullmatch(marker)
        if not name:
            return None
        return next((h for h in self.heredocs if h.name == name.group(3)), None)

    def shell_script(self) -> str:
        """The RUN text for the shell. With heredocs, BuildKit's reading: `RUN <<EOF` alone runs the
        body as the script; a command around the marker (`RUN python3 <<EOF`, `cat <<EOF > f`)
        gets the body as a shell heredoc."""
        if not self.heredocs:
            return self.args
        if _HEREDOC.sub("", self.args).strip() == "" and len(self.heredocs) == 1:
            return self.heredocs[0].body
        out = [self.args]
        for h in self.heredocs:
            out.append(h.body.rstrip("\n"))
            out.append(h.name)
        return "\n".join(out) + "\n"

    @property
    def text(self) -> str:
        return f"{self.keyword} {self.args}".strip()

    def exec_form(self) -> list[str] | None:
        """The JSON-array form (`RUN ["a", "b"]`), or None for the shell form."""
        s = self.args.strip()
        if s.startswith("["):
            try:
                val = json.loads(s)
            except json.JSONDecodeError:
                return None
            if isinstance(val, list) and all(isinstance(v, str) for v in val):
                return val
        return None


_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")


def _read_heredocs(args: str, lines: list[str], i: int, source: str, start: int) -> tuple[tuple[Heredoc, ...], int]:
    """Consume the bodies of every `<<WORD` marker in `args` from lines[i:]; return them and the
    index of the first line after the last delimiter."""
    docs = []
    for m in _HEREDOC.finditer(args):
        strip_tabs, quote, name = m.group(1) == "-", m.group(2), m.group(3)
        body = []
        while True:
            if i >= len(lines):
                raise DockerfileError(f"{source}:{start}: heredoc <<{name} is never closed (no line {name!r})")
            line = lines[i].rstrip("\r")
            i += 1
            if (line.lstrip("\t") if strip_tabs else line) == name:
                break
            body.append(line.lstrip("\t") if strip_tabs else line)
        docs.append(Heredoc(name, "".join(b + "\n" for b in body), expand=not quote))
    return tuple(docs), i


def parse_dockerfile(text: str, source: str = "Dockerfile") -> list[Instruction]:
    out: list[Instruction] = []
    buf: list[str] = []
    start = 0
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        no, raw = i + 1, lines[i]
        i += 1
        line = raw.rstrip()
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comments inside a continued instruction are dropped, as Docker does
        if not buf:
            start = no
        if line.endswith("\\"):
            buf.append(line[:-1])
            continue
        buf.append(line)
        joined = " ".join(part.strip() for part in buf if part.strip())
        buf = []
        m = re.match(r"([A-Za-z]+)\s*(.*)$", joined, re.S)
        if not m:
            raise DockerfileError(f"{source}:{start}: cannot read instruction {joined[:60]!r}")
        keyword, args = m.group(1).upper(), m.group(2).strip()
        docs: tuple[Heredoc, ...] = ()
        if keyword in _HEREDOC_KEYWORDS and not args.startswith("["):
            docs, i = _read_heredocs(args, lines, i, source, start)
        out.append(Instruction(keyword, args, start, docs))
    if buf:
        joined = " ".join(part.strip() for part in buf if part.strip())
        m = re.match(r"([A-Za-z]+)\s*(.*)$", joined, re.S)
        if m:
            out.append(Instruction(m.group(1).upper(), m.group(2).strip(), start))
    return out


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def substitute(text: str, env: dict[str, str]) -> str:
    def rep(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        default = m.group(2)
        val = env.get(name)
        if val is None or (val == "" and default is not None):
            return default if default is not None else ""
        return val

    return _VAR.sub(rep, text)


def parse_key_values(args: str, keyword: str) -> dict[str, str]:
    """`ENV A=1 B="two words"` or legacy `ENV A some value`; likewise `ARG A=1` / `ARG A`."""
    s = args.strip()
    try:
        parts = shlex.split(s)
    except ValueError as e:
        raise DockerfileError(f"{keyword} {s!r}: {e}") from e
    if not parts:
        return {}
    if "=" not in parts[0]:
        if keyword == "ARG":
            return {parts[0]: ""}
        return {parts[0]: s[len(s.split(None, 1)[0]):].strip()}
    out = {}
    for p in parts:
        k, _, v = p.partition("=")
        out[k] = v
    return out


@dataclass
class CopySpec:
    sources: list[str]
    dest: str
    flags: dict[str, str] = field(default_factory=dict)


def parse_copy(ins: Instruction) -> CopySpec:
    form = ins.exec_form()
    if form is not None:
        tokens = form
    else:
        tokens = shlex.split(ins.args)
    flags: dict[str, str] = {}
    rest = []
    for t in tokens:
        if t.startswith("--") and not rest:
            k, _, v = t[2:].partition("=")
            flags[k] = v
        else:
            rest.append(t)
    if len(rest) < 2:
        raise DockerfileError(f"line {ins.lineno}: {ins.keyword} needs a source and a destination")
    return CopySpec(sources=rest[:-1], dest=rest[-1], flags=flags)


def final_workdir(instructions: list[Instruction], default: str = "/app") -> str:
    wd = None
    for ins in instructions:
        if ins.keyword == "WORKDIR":
            p = ins.args.strip().strip('"')
            wd = p if p.startswith("/") else str(Path(wd or "/") / p)
    return wd or default
