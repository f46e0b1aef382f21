"""The example's web app: answers every GET with which instance served it
and which version it runs, as JSON. Like most real services it takes a
moment to start (APP_WARMUP_SECONDS, 2 by default) before it listens, so
a restart is a real gap in service unless the load balancer is told."""

import json
import os
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
METADATA = "http://169.254.169.254/latest"


def instance_id() -> str:
    """The instance's id, from the metadata service (IMDSv2)."""
    token_request = urllib.request.Request(
        f"{METADATA}/api/token",
        method="PUT",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"},
    )
    token = urllib.request.urlopen(token_request, timeout=5).read().decode()
    id_request = urllib.request.Request(
        f"{METADATA}/meta-data/instance-id",
        headers={"X-aws-ec2-metadata-token": token},
    )
    return urllib.request.urlopen(id_request, timeout=5).read().decode()


def main() -> None:
    with open(os.path.join(HERE, "VERSION")) as f:
        version = f.read().strip()
    answer = json.dumps({"instance": instance_id(), "version": version}).encode()
    time.sleep(float(os.environ.get("APP_WARMUP_SECONDS", "2")))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer(("", 8080), Handler).serve_forever()


if __name__ == "__main__":
    main()
