#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A CloudEvents endpoint for the tests: every request is parsed by the CloudEvents SDK for Python (an
implementation independent of filesignals), its Standard Webhooks signature checked with Python's own hmac, and
a line describing it appended to the log. What it answers follows a plan file that the test rewrites.

    server.py --port PORT --port-file FILE --log FILE --plan FILE [--secret-file FILE] [--tls-cert PEM --tls-key PEM]

The plan is a JSON object: {"answers": [ANSWER, ...], "then": ANSWER}; the answers are used in order, one per
request, then "then" (default {"status": 200}) for every request after. An ANSWER is {"status": N} with an
optional "retry_after" (a header value) and "body"; {"status": 200, "sleep": SECONDS} answers late; {"reset":
true} closes the connection with a TCP reset and no answer; {"status": N, "trickle": SECONDS} sends the headers, then
one byte of the body a second for that long. Rewriting the plan starts its answers again.
"""
import argparse, base64, hashlib, hmac, json, os, socket, struct, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cloudevents.v1.http import from_dict, from_http

arguments = argparse.ArgumentParser()
arguments.add_argument("--port", type=int, default=0)
arguments.add_argument("--port-file", required=True)
arguments.add_argument("--log", required=True)
arguments.add_argument("--plan", required=True)
arguments.add_argument("--secret-file")
arguments.add_argument("--tls-cert")
arguments.add_argument("--tls-key")
options = arguments.parse_args()

lock = threading.Lock()
state = {"plan_mtime": None, "answers": [], "then": {"status": 200}, "count": 0}


def next_answer():
    with lock:
        try:
            mtime = os.stat(options.plan).st_mtime_ns
        except FileNotFoundError:
            mtime = None
        if mtime != state["plan_mtime"]:
            state["plan_mtime"] = mtime
            plan = json.load(open(options.plan)) if mtime is not None else {}
            state["answers"] = list(plan.get("answers", []))
            state["then"] = plan.get("then", {"status": 200})
        state["count"] += 1
        return state["answers"].pop(0) if state["answers"] else state["then"], state["count"]


def secret_key():
    if not options.secret_file:
        return None
    text = open(options.secret_file).read().strip()
    return base64.b64decode(text[len("whsec_"):]) if text.startswith("whsec_") else text.encode()


def signature_ok(headers, body):
    key = secret_key()
    if key is None:
        return None
    signed = headers.get("webhook-id", "").encode() + b"." + headers.get("webhook-timestamp", "").encode() + b"." + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    given = [part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split(" ") if part.startswith("v1,")]
    return any(hmac.compare_digest(expected, signature) for signature in given)


def describe(event):
    attributes = event.get_attributes()
    return {
        "id": attributes.get("id"), "source": attributes.get("source"), "type": attributes.get("type"),
        "subject": attributes.get("subject"), "time": str(attributes.get("time")), "specversion": attributes.get("specversion"),
        "datacontenttype": attributes.get("datacontenttype"), "sequence": attributes.get("sequence"),
        "partitionkey": attributes.get("partitionkey"), "data": event.get_data(),
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = {"path": self.path, "content_type": headers.get("content-type", ""), "auth": headers.get("authorization")}
        try:
            if record["content_type"].startswith("application/cloudevents-batch+json"):
                record["format"] = "batch"
                record["events"] = [describe(from_dict(item)) for item in json.loads(body)]
            else:
                record["format"] = "structured" if record["content_type"].startswith("application/cloudevents+json") else "binary"
                record["events"] = [describe(from_http(headers, body))]
        except Exception as error:  # what the SDK refuses is a fault of the sender: the test sees it
            record["parse_error"] = repr(error)
            record["events"] = []
        record["signature_ok"] = signature_ok(headers, body)
        answer, number = next_answer()
        record["n"] = number
        if answer.get("reset"):
            record["answer"] = "reset"
            self.log(record)
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if answer.get("sleep"):
            time.sleep(answer["sleep"])
        if answer.get("trickle"):
            record["answer"] = answer.get("status", 200)
            self.log(record)
            self.send_response(answer.get("status", 200))
            self.send_header("Content-Length", str(answer["trickle"]))
            self.end_headers()
            try:
                for _ in range(answer["trickle"]):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass  # the client gave up: what the test wants
            return
        status = answer.get("status", 200)
        record["answer"] = status
        self.log(record)
        reply = answer.get("body", "").encode()
        self.send_response(status)
        if answer.get("retry_after") is not None:
            self.send_header("Retry-After", str(answer["retry_after"]))
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log(self, record):
        record["at"] = time.time()
        with lock, open(options.log, "a") as log:
            log.write(json.dumps(record) + "\n")


server = ThreadingHTTPServer(("127.0.0.1", options.port), Handler)
server.daemon_threads = True
if options.tls_cert:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(options.tls_cert, options.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(options.port_file + ".tmp", "w") as port_file:
    port_file.write(str(server.server_address[1]))
os.rename(options.port_file + ".tmp", options.port_file)
server.serve_forever()
