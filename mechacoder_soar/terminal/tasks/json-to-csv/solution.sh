#!/bin/bash
python3 - <<'PY'
import csv, json
users = [u for u in json.load(open("/app/users.json")) if u.get("active", True)]
with open("/app/users.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["id", "name", "email", "city", "tags"])
    for u in sorted(users, key=lambda u: u["id"]):
        w.writerow([u["id"], u["name"], u["email"], (u.get("address") or {}).get("city", ""),
                    ";".join(u.get("tags") or [])])
PY
