#!/bin/bash
set -e
cd /app/repo
first=$(git rev-list --max-parents=0 HEAD)
git bisect start HEAD "$first" >/dev/null
git bisect run ./check.sh > /tmp/bisect.log 2>&1 || true
bad=$(git rev-parse refs/bisect/bad)
git bisect reset main >/dev/null 2>&1
printf '%s\n' "$bad" > /app/first_bad_commit.txt
cat /app/first_bad_commit.txt
