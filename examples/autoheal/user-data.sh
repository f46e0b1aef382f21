#!/bin/bash
# The autoheal instance: wait for the data volume, give it a filesystem only
# if it has none, mount it at /data, and serve /data/value over HTTP on port
# 80 (GET reads it, PUT replaces it), so that whatever was written survives
# the instance.
for attempt in $(seq 1 120); do
  [ -b /dev/xvdb ] && break
  sleep 1
done
if [ ! -b /dev/xvdb ]; then
  echo "autoheal: no /dev/xvdb after waiting" >&2
  exit 1
fi
blkid /dev/xvdb > /dev/null 2>&1 || mkfs.ext4 -q /dev/xvdb
mkdir -p /data
mount /dev/xvdb /data
echo "autoheal: /data mounted"

cat > /usr/local/bin/autoheal-serve <<'PY'
#!/usr/bin/env python3
import http.server, os, urllib.request

VALUE = "/data/value"

def instance_id():
    token = urllib.request.Request(
        "http://169.254.169.254/latest/api/token", method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    with urllib.request.urlopen(token, timeout=2) as answer:
        secret = answer.read().decode()
    ask = urllib.request.Request(
        "http://169.254.169.254/latest/meta-data/instance-id",
        headers={"X-aws-ec2-metadata-token": secret})
    with urllib.request.urlopen(ask, timeout=2) as answer:
        return answer.read().decode()

SELF = instance_id()

class Value(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        self.send_response(status)
        self.send_header("X-Instance-Id", SELF)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if not os.path.exists(VALUE):
            return self.answer(404, b"nothing written yet\n")
        with open(VALUE, "rb") as stored:
            self.answer(200, stored.read())

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(VALUE + ".new", "wb") as new:
            new.write(body)
            new.flush()
            os.fsync(new.fileno())
        os.replace(VALUE + ".new", VALUE)
        self.answer(200, body)

http.server.ThreadingHTTPServer(("0.0.0.0", 80), Value).serve_forever()
PY
chmod +x /usr/local/bin/autoheal-serve
nohup /usr/local/bin/autoheal-serve > /var/log/autoheal-serve.log 2>&1 &
