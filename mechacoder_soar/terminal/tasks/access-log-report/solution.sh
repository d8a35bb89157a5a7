#!/bin/bash
cat > /tmp/report.py <<'PY'
import json, re
from collections import Counter
pat = re.compile(r'^(\S+) \S+ \S+ \[[^\]]*\] "[^"]*" (\d{3}) (\S+)')
ips, statuses, total_bytes, n = Counter(), Counter(), 0, 0
for line in open("/app/access.log"):
    m = pat.match(line)
    if not m:
        continue
    n += 1
    ip, status, size = m.groups()
    ips[ip] += 1
    statuses[status] += 1
    total_bytes += 0 if size == "-" else int(size)
top = sorted(ips.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
report = {
    "total_requests": n, "unique_ips": len(ips), "status_counts": dict(statuses), "top_ip": top,
    "server_errors": sum(c for s, c in statuses.items() if s.startswith("5")), "bytes_total": total_bytes,
}
json.dump(report, open("/app/report.json", "w"), indent=2)
PY
python3 /tmp/report.py
