#!/bin/bash
set -e
cd /app/project
export GIT_AUTHOR_NAME="Release Bot" GIT_AUTHOR_EMAIL="bot@example.com"
export GIT_COMMITTER_NAME="Release Bot" GIT_COMMITTER_EMAIL="bot@example.com"
git init -q -b main .
git add -A
git commit -q -m "Initial commit"
git tag -a v1.0 -m "Release 1.0"
git checkout -q -b hotfix
echo "1.0.1" > VERSION
git commit -q -am "Bump version to 1.0.1"
git tag -a v1.0.1 -m "Release 1.0.1"
