#!/bin/bash
# Stand-in for Terminal-Bench 1's shared setup-uv-pytest.sh (sourced by run-tests.sh): offline,
# uv and pytest are the sandbox's own, so only the working-directory check remains.
source "$HOME/.local/bin/env"
if [ "$PWD" = "/" ]; then
    echo "Error: No working directory set. Please set a WORKDIR in your Dockerfile before running this script."
    exit 1
fi
