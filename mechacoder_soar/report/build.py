"""Build `soar report`: one self-contained HTML page (PNG figures embedded as base64) plus a
report.json with the numbers behind it, from a run directory and optionally its skill store.

Everything is computed after the fact from files the loop already writes (metrics.json,
attempts.jsonl, curriculum.json) and from the store, so the loop itself stays untouched.
"""
from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..diversity import DiversityConfig, diversity_by_iteration
from ..domain import Attempt
from ..pooling import pooling_summary
from ..vote import weighted_vote
from . import plots
from .rundata import RunData, load_run


@dataclass
class ReportConfig:
    run_dir: str
    out: str | None = None                 # default RUN_DIR/report.html
    pool_runs: list[str] = field(default_factory=list)  # other run dirs pooled in (other proposers)
    diversity: DiversityConfig = field(default_factory=DiversityConfig)
    max_code_chars: int = 1500


def winning_programs(run: RunData) -> list[dict[str, Any]]:
    """Per task, in its last iteration: the program of the top vote group (the first submission),
    else the most train-accurate attempt; with the iteration's metrics row for that task."""
    last: dict[str, dict] = {}
    for r in run.iterations:
        for t in r.get("per_task", []):
            last[t["task_id"]] = {**t, "iteration": r["iteration"]}
    by_task = run.by_task()
    out = []
    for tid in sorted(set(last) | set(by_task)):
        atts = by_task.get(tid, [])
        it = last.get(tid, {}).get("iteration", max((a.iteration for a in atts), default=0))
        cur = [a for a in atts if a.iteration == it] or atts
        groups = weighted_vote(cur, top=1)
        ids = {a.id: a for a in cur}
        win: Attempt | None = ids.get(groups[0].attempt_ids[0]) if groups else None
        if win is None and cur:
            win = max(cur, key=lambda a: a.train_accuracy)
        row = last.get(tid, {})
        out.append({
            "task_id": tid, "iteration": it, "attempts": len(atts),
            "train_solved": row.get("train_solved", any(a.fully_correct for a in cur)),
            "best_train_accuracy": row.get("best_train_accuracy", max((a.train_accuracy for a in cur), default=0.0)),
            "test_pass_at_2": row.get("test_pass_at_2"),
            "winner_id": win.id if win else None, "winner_train_accuracy": win.train_accuracy if win else None,
            "winner_code": win.code if win else "", "winner_dsl": (win.meta.get("dsl") if win else None),
        })
    return out


def _img(title: str, png: bytes, alt: str) -> str:
    b64 = base64.b64encode(png).decode()
    return (f'<figure><img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(title)}</figcaption></figure>")


def _pct(x: Any) -> str:
    return "n/a" if x is None else f"{100 * float(x):.1f}%"


def _table(head: list[str], rows: list[list[str]], raw_cols: set[int] = frozenset()) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c if i in raw_cols else html.escape(str(c))}</td>" for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:1.5em} h2{font-size:1.2em;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ddd;padding:3px 7px;vertical-align:top;text-align:left}
th{background:#f4f4f4} figure{display:inline-block;margin:6px 10px 6px 0} figcaption{font-size:12px;color:#555}
img{max-width:100%;border:1px solid #eee} pre{font-size:11px;max-height:220px;overflow:auto;background:#fafafa;margin:0;padding:4px;white-space:pre-wrap}
.alert{background:#fff3f3;border:1px solid #e99;padding:8px;margin:8px 0} .ok{color:#2a7d2a} .bad{color:#b22}
.meta{font-size:13px;color:#555}
"""


def _adapt_section(a: dict) -> str:
    """`soar adapt`: the base library, where it learned, and the lift over its own iteration 0."""
    base, lift, merged = a["base"], a.get("lift"), a.get("merged")
    out = [f"<h2>Test-time adaptation</h2><p class='meta'>base library: namespace <code>{html.escape(str(base['namespace']))}</code> "
           f"of <code>{html.escape(str(base['store']))}</code> ({base.get('skills', '?')} skills now); learned into namespace "
           f"<code>{html.escape(str(a['namespace']))}</code>; "
           + (f"merged into the base: +{merged['added_to_base']} skills" if merged else "base untouched (no --merge)") + "</p>"]
    if lift:
        b = lift["budget_per_task"]
        out.append(f"<p>Lift over iteration 0 at the same budget per task ({b['sample']} samples + {b['refine']} refinements"
                   f", search budget {b['search_budget']}):</p>")
        i0, fin = lift["iteration0"], lift["final"]
        dp = lift["test_pass_at_2"]
        out.append(_table(["", "iteration", "train solved", "test pass@2", "attempts", "library"], [
            ["iteration 0", i0["iteration"], f"{i0['train_solved']}/{i0['tasks']}", _pct(i0["test_pass_at_2"]), i0["attempts"], i0["library_size"]],
            ["final", fin["iteration"], f"{fin['train_solved']}/{fin['tasks']}", _pct(fin["test_pass_at_2"]), fin["attempts"], fin["library_size"]],
            ["lift", "", f"{lift['train_solved']:+d}", "n/a" if dp is None else f"{100 * dp:+.1f} points", "", ""],
        ]))
    return "".join(out)


def build_report(config: ReportConfig, store=None) -> Path:
    """Write the HTML report (and report.json beside it); returns the HTML path. `store` is an
    open SkillStore for the EMA and library-diversity figures (optional)."""
    run = load_run(config.run_dir)
    out = Path(config.out) if config.out else run.path / "report.html"
    attempts = list(run.attempts)
    for other in config.pool_runs:
        attempts += load_run(other).attempts
    skills = store.all() if store is not None else None
    embed = store.embedder.embed if store is not None else None
    div = diversity_by_iteration(run.attempts, skills, embed, config.diversity)
    pool = pooling_summary(attempts)
    winners = winning_programs(run)

    parts = (_header(run, div) + _iterations_section(run, pool) + ([_adapt_section(run.adapt)] if run.adapt else [])
             + _pooling_section(pool) + _library_section(skills) + _diversity_section(div)
             + _curriculum_section(run.curriculum) + _per_task_section(winners, config))
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>SOAR report: {html.escape(run.path.name)}</title><style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page)
    summary = {"run_dir": str(run.path), "diversity": div, "pooling": pool,
               "per_task": [{k: v for k, v in w.items() if k != "winner_code"} for w in winners]}
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2, default=str))
    return out


def _config_shown(c: dict) -> dict:
    """The run settings the header shows, from config.json (nested `search`, or older flat keys)."""
    keys = ("suite", "limit", "iterations", "budget_sample", "budget_refine", "proposer", "adapt", "store")
    shown = {k: c[k] for k in keys if k in c}
    search = c.get("search") or {}
    for label, name in (("search_budget", "budget"), ("search_time_s", "time_limit_s")):
        if name in search or label in c:
            shown[label] = search.get(name, c.get(label))
    return shown


def _header(run, div: dict) -> list[str]:
    parts = [f"<h1>SOAR run report</h1><p class='meta'>run directory <code>{html.escape(str(run.path))}</code>"]
    if run.config:
        parts.append(" &middot; " + " &middot; ".join(f"{k}={html.escape(str(v))}" for k, v in _config_shown(run.config).items()))
    parts.append(f" &middot; {len(run.attempts)} attempts</p>")
    if div["alerts"]:
        parts.append("<div class='alert'><b>Diversity alerts</b><br>" + "<br>".join(html.escape(a) for a in div["alerts"]) + "</div>")
    return parts


def _iterations_section(run, pool: dict) -> list[str]:
    parts = ["<h2>Per-iteration results</h2>"]
    if not run.iterations:
        return parts + ["<p>No iteration has finished yet (metrics.json is empty).</p>"]
    parts.append(_img("train-solved fraction and test pass@2 per iteration", plots.solve_rate(run.iterations, pool["by_iteration"]), "solve rate"))
    parts.append(_img("library size by source after each iteration", plots.library_growth(run.iterations), "library growth"))
    rows = []
    for r in run.iterations:
        bs = r.get("by_source", {})
        rows.append([r["iteration"], r["tasks"], r["attempts"], r.get("unparsed", 0),
                     f"{r['train_solved']} ({_pct(r['train_solved'] / max(1, r['tasks']))})",
                     _pct(r.get("test_pass_at_2")), r.get("new_skills", 0), r.get("library_size", 0),
                     " ".join(f"{k}:{v}" for k, v in sorted(bs.items())), r.get("wall_s", "")])
    parts.append(_table(["iteration", "tasks", "attempts", "unparsed", "train solved", "test pass@2", "new skills", "library",
                         "by source", "wall s"], rows))
    return parts


def _pooling_section(pool: dict) -> list[str]:
    parts = ["<h2>Pooling and oracle gap</h2><p class='meta'>vote = weighted vote over the pool, top-2 submissions; "
             "oracle = some program in the pool is right; gap = oracle - vote.</p>"]
    prow = [[r["iteration"], _pct(r["single"]["vote_pass_at_2"]), _pct(r["pooled"]["vote_pass_at_2"]),
             _pct(r["pooled"]["oracle"]), _pct(r["pooled"]["gap"]), r["pooled"]["attempts"]] for r in pool["by_iteration"]]
    parts.append(_table(["iteration", "pass@2 this iteration", "pass@2 pooled <= K", "oracle pooled", "gap", "pooled attempts"], prow))
    bp = pool["by_proposer"]
    prop_rows = [[n, _pct(s["vote_pass_at_2"]), _pct(s["oracle"]), _pct(s["gap"]), s["attempts"]] for n, s in bp["per_proposer"].items()]
    prop_rows.append(["all pooled", _pct(bp["all"]["vote_pass_at_2"]), _pct(bp["all"]["oracle"]), _pct(bp["all"]["gap"]), bp["all"]["attempts"]])
    parts.append(_table(["proposer", "pass@2 (vote)", "oracle", "gap", "attempts"], prop_rows))
    return parts


def _library_section(skills) -> list[str]:
    if skills is None:
        return ["<h2>Library</h2>", "<p>No store given (<code>--store</code>): EMA distributions and library diversity omitted.</p>"]
    return ["<h2>Library</h2>", _img("distribution of sampling and refinement EMAs (skills used at least once)",
                                     plots.ema_distributions(skills), "EMA distributions")]


def _diversity_section(div: dict) -> list[str]:
    parts = ["<h2>Diversity</h2>"]
    if not div["iterations"]:
        return parts
    parts.append(_img("program output diversity and library embedding dispersion", plots.diversity(div["iterations"]), "diversity"))
    drow = []
    for r in div["iterations"]:
        p, lib = r["programs"], r.get("library") or {}
        disp = lib.get("embedding_dispersion")
        drow.append([r["iteration"], p["attempts"], p["distinct_codes"], p["distinct_signatures"], f"{p['distinct_ratio']:.2f}",
                     f"{p['error_rate']:.2f}", lib.get("skills", "-"), lib.get("distinct_output_signatures", "-"),
                     "-" if disp is None else f"{disp:.3f}", "COLLAPSE" if r["collapsed"] else "ok"])
    parts.append(_table(["iteration", "attempts", "distinct codes", "distinct outputs", "distinct ratio", "error rate",
                         "library skills", "library distinct outputs", "embedding dispersion", "status"], drow))
    return parts


def _curriculum_section(cur: dict | None) -> list[str]:
    parts = ["<h2>Stepping stones</h2>"]
    if not (cur and cur.get("batches")):
        return parts + ["<p>No curriculum.json (run <code>soar curriculum --run-dir RUN --store PATH</code>).</p>"]
    parts.append(_img("grounded reward per candidate batch", plots.stepping_stones(cur["batches"]), "stepping stones"))
    s = cur.get("summary", {})
    parts.append(f"<p>admitted {s.get('admitted', 0)} of {len(cur['batches'])} batches; held-out solve rate "
                 f"{_pct(s.get('baseline_rate'))} &rarr; {_pct(s.get('grounded_rate'))} (grounded), "
                 f"{_pct(s.get('ungrounded_rate'))} (admit everything).</p>")
    parts.append(_table(["batch", "kind", "source task", "stones", "before", "after", "gain", "admitted"],
                        [[b["name"], b["kind"], b["source_task"], b["n_stones"], _pct(b["before"]), _pct(b["after"]),
                          f"{b['gain']:+.3f}", "yes" if b["admitted"] else "no"] for b in cur["batches"]]))
    return parts


def _per_task_section(winners: list[dict], config: ReportConfig) -> list[str]:
    trows = []
    for w in winners:
        code = w["winner_code"][: config.max_code_chars] + ("\n..." if len(w["winner_code"]) > config.max_code_chars else "")
        ok = "<span class='ok'>yes</span>" if w["train_solved"] else "<span class='bad'>no</span>"
        trows.append([html.escape(w["task_id"]), w["iteration"], w["attempts"], ok, f"{w['best_train_accuracy']:.2f}",
                      _pct(w["test_pass_at_2"]), html.escape(w["winner_dsl"] or "-"), f"<pre>{html.escape(code)}</pre>"])
    return ["<h2>Per task</h2>", _table(["task", "last iteration", "attempts", "train solved", "best train acc", "test pass@2",
                                         "winning program (steps)", "winning program (code)"], trows, raw_cols=set(range(8)))]
