#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A CloudEvents consumer for filesignals' url receivers, on the CloudEvents SDK for Python (pip install
cloudevents): it accepts structured, binary and batch requests, checks Standard Webhooks signatures when given
the secret, and handles each event once, by its id, since delivery is at least once.

    python3 consumer.py [--port 8080] [--secret-file secret]

It prints `TYPE SUBJECT SEQUENCE` per new event. A real consumer keeps the ids it handled with the work it did
(in the same database transaction), so that a repeat after its own crash is still recognised.
"""
import argparse, base64, hashlib, hmac, json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.v1.http import from_dict, from_http

arguments = argparse.ArgumentParser()
arguments.add_argument("--port", type=int, default=8080)
arguments.add_argument("--secret-file")
options = arguments.parse_args()

key = None
if options.secret_file:
    text = open(options.secret_file).read().strip()
    key = base64.b64decode(text[len("whsec_"):]) if text.startswith("whsec_") else text.encode()
handled = set()
lock = threading.Lock()  # requests are served on threads of their own: one event is handled at a time


def signed(headers, body):
    if key is None:
        return True
    message = headers.get("webhook-id", "").encode() + b"." + headers.get("webhook-timestamp", "").encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, part[3:]) for part in headers.get("webhook-signature", "").split() if part.startswith("v1,"))


class Consumer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        if not signed(headers, body):
            return self.answer(401)
        try:
            if headers.get("content-type", "").startswith("application/cloudevents-batch+json"):
                events = [from_dict(item) for item in json.loads(body)]
            else:
                events = [from_http(headers, body)]
        except Exception:
            return self.answer(400)  # not a CloudEvent: filesignals marks the delivery dead, and says why
        with lock:
            for event in events:
                if event["id"] in handled:
                    continue  # a repeat of an event already handled: at-least-once delivery
                handled.add(event["id"])
                print(event["type"], event["subject"], event["sequence"], flush=True)
        self.answer(204)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


print(f"listening on 127.0.0.1:{options.port}", file=sys.stderr, flush=True)
ThreadingHTTPServer(("127.0.0.1", options.port), Consumer).serve_forever()
