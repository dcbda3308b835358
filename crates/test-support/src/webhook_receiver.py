"""A webhook receiver for Curio's tests. Every request is verified with the
`standardwebhooks` package (PyPI), an implementation of the Standard
Webhooks scheme independent of Curio's, and kept as a JSON file:
{path, verified, error, headers, body}. The test tells it the endpoint's
secret with `PUT /_secret` (the body is the secret).

Paths decide the answer: `/fail-twice…` answers 500 to the first two
deliveries of each webhook-id, `/slow…` sleeps past any sensible timeout
on the first, `/gone…` answers 410; anything else 204.

Usage: webhook_receiver.py PORT DIRECTORY (prints `ready` once it listens).
"""

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

state = {"secret": None, "seen": {}, "n": 0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path == "/_secret":
            state["secret"] = body.decode().strip()
        self.send_response(204)
        self.end_headers()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        verified, error = False, None
        try:
            Webhook(state["secret"]).verify(body, headers)
            verified = True
        except Exception as e:  # a refusal is what the test looks at
            error = f"{type(e).__name__}: {e}"
        msg_id = headers.get("webhook-id", "")
        with lock:
            seen = state["seen"].get((self.path, msg_id), 0)
            state["seen"][(self.path, msg_id)] = seen + 1
            state["n"] += 1
            n = state["n"]
        record = {
            "path": self.path,
            "verified": verified,
            "error": error,
            "headers": headers,
            "body": body.decode("utf-8", "replace"),
            "attempt": seen + 1,
        }
        directory = sys.argv[2]
        partial = os.path.join(directory, f".{n}.partial")
        with open(partial, "w") as f:
            json.dump(record, f)
        os.rename(partial, os.path.join(directory, f"{n:06d}.json"))
        if self.path.startswith("/fail-twice") and seen < 2:
            status = 500
        elif self.path.startswith("/slow") and seen < 1:
            time.sleep(5)
            status = 204
        elif self.path.startswith("/gone"):
            status = 410
        else:
            status = 204
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()


def main():
    os.makedirs(sys.argv[2], exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
