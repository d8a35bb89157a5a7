"""The LangGraph face: SkillMemoryStore as a graph's long-term store, and the example agent."""
import asyncio
import runpy
import sys

import pytest
from langgraph.store.base import InvalidNamespaceError, MatchCondition

from mechacoder_soar.cli.serve import hindsight_relabeller
from skills_store import InvalidInputError, SkillNotFoundError
from skills_store.langgraph_store import SkillMemoryStore
from skills_store.service import MemoryService
from tests.conftest import ROOT

PARSE = {"code": "def parse_csv_line(s):\n    return s.split(',')", "description": "split a comma separated line into fields",
         "kind": "code", "source": "seed"}
UPPER = {"code": "def shout(s):\n    return s.upper()", "description": "convert text to upper case", "source": "seed"}


@pytest.fixture
def lg(store):
    return SkillMemoryStore(MemoryService(store, relabeller=hindsight_relabeller()))


def test_put_search_get_skills(lg):
    lg.put(("skills",), "csv", PARSE)
    lg.put(("skills",), "upper", UPPER)
    hits = lg.search(("skills",), query="break a CSV row into its columns", limit=1)
    assert len(hits) == 1 and hits[0].value["code"] == PARSE["code"] and hits[0].score is not None
    sid = hits[0].key
    assert sid.startswith("sk_")
    item = lg.get(("skills",), sid)
    assert item.value["description"] == PARSE["description"] and item.value["sampling_uses"] == 0
    assert lg.get(("skills",), "sk_missing") is None
    # filters on value fields; listing without a query
    assert [h.value["code"] for h in lg.search(("skills",), filter={"source": "seed", "kind": "code"}, limit=10)] == \
        [PARSE["code"], UPPER["code"]]
    assert lg.search(("skills",), query="upper case", filter={"sampling_uses": {"$gt": 0}}) == []


def test_attempts_and_outcomes_go_through_the_service(lg):
    lg.put(("skills",), "csv", PARSE)
    sid = lg.search(("skills",), query="csv")[0].key
    attempt = {"task": "parse a CSV line with quoted commas", "code": PARSE["code"], "passed": False,
               "skill_ids": [sid], "feedback": "quotes not handled",
               "observations": [{"input": 'a,"b,c"', "output": ["a", '"b', 'c"']}]}
    lg.put(("attempts",), "att-1", attempt)
    lg.put(("attempts",), "att-1", attempt)  # replay: counted once
    rec = lg.get(("attempts",), "att-1")
    assert rec.value["feedback"] == "quotes not handled" and rec.value["skill_ids"] == [sid]
    assert [i.key for i in lg.search(("attempts",))] == ["att-1"]
    lg.put(("outcomes",), "o1", {"skill_ids": [sid], "mode": "refine", "success": True})
    sk = lg.get(("skills",), sid).value
    assert (sk["sampling_uses"], sk["sampling_ema"], sk["refine_uses"], sk["refine_ema"]) == (1, 0.0, 1, 1.0)
    refine = lg.search(("skills",), query="csv parsing fails on quotes", filter={"mode": "refine"})
    assert refine and all(h.namespace == ("skills",) for h in refine)


def test_rejections_and_namespaces(lg):
    with pytest.raises(InvalidInputError, match="append-only"):
        lg.delete(("skills",), "sk_x")
    with pytest.raises(InvalidNamespaceError, match="not part of the skill library"):
        lg.put(("memories", "user1"), "k", {"x": 1})
    with pytest.raises(InvalidInputError, match="passed"):
        lg.put(("attempts",), "a", {"task": "t", "code": "x"})
    with pytest.raises(SkillNotFoundError, match="sk_nope"):
        lg.put(("outcomes",), "o", {"skill_ids": ["sk_nope"], "mode": "sample", "success": True})
    assert lg.list_namespaces() == [("attempts",), ("outcomes",), ("skills",)]
    assert lg.list_namespaces(prefix=("skills",)) == [("skills",)]
    assert lg.batch([]) == []
    from langgraph.store.base import ListNamespacesOp
    assert lg.batch([ListNamespacesOp(match_conditions=(MatchCondition("suffix", ("attempts",)),))]) == [[("attempts",)]]


def test_async_api(lg):
    async def run():
        await lg.aput(("skills",), "u", UPPER)
        return await lg.asearch(("skills",), query="capital letters")

    assert asyncio.run(run())[0].value["code"] == UPPER["code"]


def test_example_agent_runs_without_an_llm(tmp_path, monkeypatch, capsys):
    # In-process (the embedding model is already loaded): the example is a plain script.
    monkeypatch.setattr(sys, "argv", ["langgraph_agent.py", "--store", str(tmp_path / "store")])
    runpy.run_path(str(ROOT / "examples" / "langgraph_agent.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "final: passed=True" in out and out.count("recorded attempt") >= 1
