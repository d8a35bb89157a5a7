#!/bin/bash
cat > /app/kv_server.py <<'PY'
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STORE = {}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def _send(self, code, body=b"", ctype="text/plain; charset=utf-8"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _key(self):
        return self.path[len("/kv/"):] if self.path.startswith("/kv/") else None

    def do_GET(self):
        if self.path == "/health":
            return self._send(200, json.dumps({"status": "ok"}).encode(), "application/json")
        if self.path == "/kv":
            with LOCK:
                keys = sorted(STORE)
            return self._send(200, json.dumps(keys).encode(), "application/json")
        key = self._key()
        with LOCK:
            val = STORE.get(key) if key else None
        if val is None:
            return self._send(404, b"not found")
        return self._send(200, val.encode())

    def do_PUT(self):
        key = self._key()
        if not key:
            return self._send(404, b"not found")
        n = int(self.headers.get("Content-Length") or 0)
        with LOCK:
            STORE[key] = self.rfile.read(n).decode()
        return self._send(201)

    def do_DELETE(self):
        key = self._key()
        with LOCK:
            found = STORE.pop(key, None) if key else None
        return self._send(204 if found is not None else 404)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", 8765), Handler).serve_forever()
PY
cd /app
nohup python3 /app/kv_server.py > /app/kv_server.log 2>&1 &
for i in $(seq 1 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/health', timeout=1)" 2>/dev/null && break
  sleep 0.1
done
echo "kv server up"
