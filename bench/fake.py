#!/usr/bin/env python3
"""Local fake for the benchmarks: an IP echo service and a provider endpoint on 127.0.0.1.

Routes
  GET /ip                 echo: a public-looking IPv4 address ("fixed" mode: always the same;
                          "rotate" mode: a new one per request, so every sync cycle publishes)
  GET|POST /cb?...        callback provider endpoint for ddns-rs (`dns.name: callback`): "ok"
  GET /nic/update?...     dyndns2 endpoint for inadyn and ddclient: "good <myip>"
  GET /_wait?after=N      the same, answered once hits > N (or after 15 s)
  GET /_stats             JSON {"hits": provider requests so far, "last": monotonic time of the
                          last provider request, "echo": echo requests so far}

Every request waits --latency milliseconds first (the "realistic latency" of figure 5). The
addresses handed out (11.0.0.0/8) are only strings in answers; nothing is ever sent to them.
"""

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class State:
    """Counters shared by the handler threads."""

    def __init__(self, rotate, latency):
        self.lock = threading.Condition()
        self.rotate = rotate
        self.latency = latency
        self.echo = 0
        self.hits = 0
        self.last = 0.0


def make_handler(st):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            # Headers and body go out as two writes; without TCP_NODELAY, Nagle holds the body
            # until the client's delayed ACK (~40 ms), which would be charged to the client.
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):
            pass

        def reply(self, body, ctype="text/plain"):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            url = urlparse(self.path)
            if url.path == "/_stats":
                with st.lock:
                    out = {"hits": st.hits, "last": st.last, "echo": st.echo}
                return self.reply(json.dumps(out), "application/json")
            if url.path == "/_wait":
                # Long poll: answers once more than `after` provider requests have been seen.
                after = int(parse_qs(url.query).get("after", ["0"])[0])
                with st.lock:
                    st.lock.wait_for(lambda: st.hits > after, timeout=15)
                    out = {"hits": st.hits, "last": st.last, "echo": st.echo}
                return self.reply(json.dumps(out), "application/json")
            if st.latency:
                time.sleep(st.latency / 1000.0)
            if url.path == "/ip":
                with st.lock:
                    st.echo += 1
                    n = st.echo if st.rotate else 0
                # 11.x.y.z with z in 1..254: a distinct valid address for each n < 16.6 million
                hi, z = divmod(n, 254)
                return self.reply("11.%d.%d.%d" % ((hi >> 8) & 255, hi & 255, z + 1))
            if url.path in ("/cb", "/nic/update"):
                with st.lock:
                    st.hits += 1
                    st.last = time.monotonic()
                    st.lock.notify_all()
                if url.path == "/cb":
                    return self.reply("ok")
                ip = parse_qs(url.query).get("myip", [""])[0]
                return self.reply("good %s" % ip)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = handle_any
        do_POST = handle_any

    return Handler


class Server(ThreadingHTTPServer):
    """Quiet about clients that hang up mid-answer (a daemon stopped by the benchmark)."""

    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--latency", type=float, default=0.0, help="milliseconds per request")
    ap.add_argument("--rotate", action="store_true", help="new echo address per request")
    a = ap.parse_args()
    st = State(a.rotate, a.latency)
    srv = Server(("127.0.0.1", a.port), make_handler(st))
    srv.serve_forever()


if __name__ == "__main__":
    main()
