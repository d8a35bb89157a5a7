#!/bin/bash
# Builds the task's repository: 14 commits, a regression in commit 9 (deterministic hashes).
set -euo pipefail
repo="$1"
mkdir -p "$repo" && cd "$repo"
export GIT_AUTHOR_NAME="Dev" GIT_AUTHOR_EMAIL="dev@example.com"
export GIT_COMMITTER_NAME="Dev" GIT_COMMITTER_EMAIL="dev@example.com"
git init -q -b main .
cat > check.sh <<'SH'
#!/bin/sh
python3 -c "
import mathx
assert mathx.clamp(5, 0, 10) == 5
assert mathx.clamp(-1, 0, 10) == 0
assert mathx.clamp(11, 0, 10) == 10
assert mathx.mean([1, 2, 3, 4]) == 2.5
"
SH
chmod +x check.sh
cat > mathx.py <<'PY'
def clamp(x, lo, hi):
    return max(lo, min(x, hi))


def mean(xs):
    return sum(xs) / len(xs)
PY
n=0
commit() {
  n=$((n + 1))
  export GIT_AUTHOR_DATE="2024-01-01T00:00:${n}Z" GIT_COMMITTER_DATE="2024-01-01T00:00:${n}Z"
  git add -A && git commit -q -m "$1"
}
commit "Add mathx with clamp and mean"
for i in 2 3 4 5 6 7 8; do
  echo "# note $i" >> mathx.py
  commit "Document revision $i"
done
# the regression: clamp's bounds swapped
sed -i 's/return max(lo, min(x, hi))/return min(lo, max(x, hi))/' mathx.py
commit "Simplify clamp"
for i in 10 11 12 13 14; do
  echo "# note $i" >> mathx.py
  commit "Document revision $i"
done
