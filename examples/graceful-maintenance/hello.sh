#!/bin/bash
cat <<'EOF' > /home/ec2-user/hello.py
import http.server
import socket


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"Hello, World! From {socket.gethostname()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Hello).serve_forever()
EOF
(crontab -l 2>/dev/null; echo "@reboot nohup python3 /home/ec2-user/hello.py") | crontab -
nohup python3 /home/ec2-user/hello.py > /dev/null 2>&1 &
