#!/bin/bash
# The test runner of a Terminal-Bench 1 task that ships no run-tests.sh: the harness's default,
# which sets up uv + pytest and runs the task's tests (tb1_setup_uv_pytest.sh and
# tb1_run_uv_pytest.sh stand in for the harness's shared scripts when tests/ lacks them).
source "$TEST_DIR/setup-uv-pytest.sh"
bash "$TEST_DIR/run-uv-pytest.sh"
