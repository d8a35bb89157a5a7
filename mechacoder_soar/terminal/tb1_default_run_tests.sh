#!/bin/bash
# The test runner of a Terminal-Bench 1 task that ships no run-tests.sh: the harness's default,
# which sets up uv + pytest (tests/setup-uv-pytest.sh when the task has one) and runs the tests.
if [ -f "$TEST_DIR/setup-uv-pytest.sh" ]; then
    source "$TEST_DIR/setup-uv-pytest.sh"
fi
if [ -f "$TEST_DIR/run-uv-pytest.sh" ]; then
    bash "$TEST_DIR/run-uv-pytest.sh"
else
    uv run pytest "$TEST_DIR/test_outputs.py" -rA
fi
