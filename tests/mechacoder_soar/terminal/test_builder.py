from pathlib import Path

from mechacoder_soar.terminal.builder import classify_segment, split_shell_list
from mechacoder_soar.terminal.dockerfile import parse_copy, parse_dockerfile, parse_key_values, substitute
from mechacoder_soar.terminal.loader import load_tb_task

from .conftest import needs_bwrap, write


def test_dockerfile_continuations_comments_and_forms():
    text = "# c\nFROM x\nRUN apt-get update \\\n  # inner comment\n  && apt-get install -y git\nCMD [\"sleep\", \"1\"]\n"
    ins = parse_dockerfile(text)
    assert [i.keyword for i in ins] == ["FROM", "RUN", "CMD"]
    assert ins[1].args == "apt-get update && apt-get install -y git" and ins[1].lineno == 3
    assert ins[2].exec_form() == ["sleep", "1"]


def test_env_arg_substitution_and_copy_flags():
    assert parse_key_values('A=1 B="two words"', "ENV") == {"A": "1", "B": "two words"}
    assert parse_key_values("LEGACY some value", "ENV") == {"LEGACY": "some value"}
    assert substitute("${P}:/x:$Q:${R:-d}", {"P": "/a", "Q": "q"}) == "/a:/x:q:d"
    spec = parse_copy(parse_dockerfile("COPY --chown=1:1 a b /dst/")[0])
    assert spec.sources == ["a", "b"] and spec.dest == "/dst/" and spec.flags == {"chown": "1:1"}


def test_shell_list_split_respects_quotes():
    assert split_shell_list("a && echo 'x && y'; b\nc") == ["a ", " echo 'x && y'", " b", "c"]


def test_classify_install_segments():
    assert classify_segment("DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git=1:2 curl") \
        == ("apt", ["git", "curl"])
    assert classify_segment("apt-get update")[0] == "noop"
    assert classify_segment("rm -rf /var/lib/apt/lists/*")[0] == "noop"
    assert classify_segment("pip install --no-cache-dir pytest==8.4.1 numpy")[1] == ["pytest==8.4.1", "numpy"]
    assert classify_segment("python3 -m pip install requests")[0] == "pip"
    assert classify_segment("make install")[0] == "other"


@needs_bwrap
def test_unhonoured_steps_are_reported_not_hidden(tmp_path: Path, backend):
    root = write(tmp_path / "odd", {
        "task.yaml": "instruction: x\ndifficulty: easy\nmax_agent_timeout_sec: 20\nmax_test_timeout_sec: 20\n",
        "Dockerfile": """\
            FROM python:3.13
            RUN apt-get install -y definitely-not-a-real-package-xyz
            RUN pip install pytest
            ADD https://example.com/x.tar.gz /app/
            USER nobody
            COPY --from=builder /out /app/out
            COPY data/ /etc/data/
            WORKDIR /app
            RUN echo built > made.txt && false
            RUN mkdir -p /opt/tool && echo ok > /opt/tool/marker
            """,
        "data/x": "1\n",
        "run-tests.sh": "cd /app && pytest $TEST_DIR/test_outputs.py -rA\n",
        "solution.sh": "true\n",
        "tests/test_outputs.py": """\
            from pathlib import Path

            def test_opt_graft_made_by_run():
                assert Path("/opt/tool/marker").read_text() == "ok\\n"

            def test_copy_into_a_system_dir_lands_in_the_tasks_own_layer():
                assert Path("/etc/data/x").read_text() == "1\\n"
            """,
    })
    res = backend.run_trial(load_tb_task(root), "true")
    joined = "\n".join(res.unhonoured_steps)
    assert "definitely-not-a-real-package-xyz" in joined
    assert "ADD of a URL" in joined
    assert "USER" in joined
    assert "COPY --from" in joined
    assert "/etc/data/" not in joined  # an overlay layer of the task's, not the host's /etc
    assert not Path("/etc/data").exists()
    assert "RUN failed in the sandbox (exit 1)" in joined
    assert "pip install pytest" not in joined  # already importable: honoured
    assert any("pip packages already present: pytest" in s for s in res.build_steps)
    assert res.resolved, res.test_output  # a RUN writing outside WORKDIR got its own writable dir
