#!/bin/bash
# Stand-in for Terminal-Bench 1's shared run-uv-pytest.sh.
uv run pytest "$TEST_DIR/test_outputs.py" -rA
