"""Load test of `hexgpu serve` on loopback: N concurrent clients (threads, keep-alive
connections) for S seconds mixing page loads, engine moves (/api/mcts_move) and
inference posts (/api/hexgpu/evaluate) and analyses (/api/state) on random positions.
Fails on any failed request other than a documented 503 (busy, with a JSON reason).
Prints requests/s and p50/p99 latency per kind, and checks that the server's memory is
flat: its RSS after the run may exceed its RSS after the first half of the run by at
most 10% + 16 MiB.
Run: HEXGPU_CLI=build/hexgpu python3 tests/serve/load_test.py --clients 64 --seconds 30"""
import argparse
import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_harness import Server, hexgpu_path  # noqa: E402

CELLS = ["%s%d" % (chr(97 + c), r + 1) for r in range(13) for c in range(13)]


def random_game(rng, most=40):
    return "#13," + "".join(rng.sample(CELLS, rng.randrange(0, most)))


class Client(threading.Thread):
    def __init__(self, port, deadline, seed, results):
        super().__init__(daemon=True)
        self.port, self.deadline, self.rng, self.results = port, deadline, random.Random(seed), results
        self.conn = None

    def send(self, method, path, body=None):
        for attempt in range(2):  # a keep-alive connection the server closed is opened again once
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                headers = {"Content-Type": "application/json"} if body is not None else {}
                self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
                res = self.conn.getresponse()
                data = res.read()
                return res.status, res.getheader("Content-Type", ""), data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                self.conn.close()
                self.conn = None
                if attempt:
                    return None, "", str(e).encode()
        return None, "", b""

    def run(self):
        rng = self.rng
        while time.time() < self.deadline:
            r = rng.random()
            t0 = time.perf_counter()
            if r < 0.3:
                kind = "page"
                outcomes = [self.send("GET", p) for p in ("/", "/hexgpu/style.css", "/hexgpu/play.js", "/api/hexgpu/models")]
            elif r < 0.6:
                kind = "engine move"
                outcomes = [self.send("POST", "/api/mcts_move", {"trmph": random_game(rng), "num_simulations":
                                                                 rng.choice([16, 32, 64]), "temperature": 0.2})]
            elif r < 0.9:
                kind = "inference"
                outcomes = [self.send("POST", "/api/hexgpu/evaluate",
                                      {"positions": [random_game(rng) for _ in range(16)]})]
            else:
                kind = "state"
                outcomes = [self.send("POST", "/api/state", {"trmph": random_game(rng)})]
            ms = 1000.0 * (time.perf_counter() - t0)
            for status, ctype, data in outcomes:
                ok = status == 200
                busy = status == 503 and ctype.startswith("application/json") and b'"error"' in data
                self.results.append((kind, ms, ok, busy, status, data[:200] if not ok else b""))
        if self.conn:
            self.conn.close()


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))] if values else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    server = Server(hexgpu_path(), extra=["--cache", "20000", "--max-connections", str(args.clients * 2)])
    results = []
    try:
        start = time.time()
        deadline = start + args.seconds
        clients = [Client(server.port, deadline, i, results) for i in range(args.clients)]
        for c in clients:
            c.start()
        time.sleep(args.seconds / 2.0)
        rss_early = server.rss_kib()
        for c in clients:
            c.join(timeout=args.seconds + 180)
        stuck = sum(c.is_alive() for c in clients)
        elapsed = time.time() - start
        time.sleep(1.0)
        rss_after = server.rss_kib()
        alive = server.alive()
    finally:
        code = server.stop()
    kinds = sorted({r[0] for r in results})
    total = len(results)
    failed = [r for r in results if not r[2] and not r[3]]
    busy = sum(1 for r in results if r[3])
    print("load test: %d clients, %.1f s, %d requests (%.0f/s), %d busy (503), %d failed" %
          (args.clients, elapsed, total, total / elapsed, busy, len(failed)))
    for k in kinds:
        ms = [r[1] for r in results if r[0] == k]
        print("  %-12s %6d  p50 %8.1f ms  p99 %8.1f ms" % (k, len(ms), percentile(ms, 50), percentile(ms, 99)))
    print("  server RSS: %.1f MiB after the first half, %.1f MiB after the run" % (rss_early / 1024, rss_after / 1024))
    for r in failed[:10]:
        print("  failed: %s status %s %r" % (r[0], r[4], r[5]))
    problems = []
    if failed:
        problems.append("%d failed requests" % len(failed))
    if stuck:
        problems.append("%d clients did not finish" % stuck)
    if not alive or code != 0:
        problems.append("server exit %s: %s" % (code, server.stderr[-1000:]))
    if rss_after > rss_early * 1.10 + 16 * 1024:
        problems.append("memory grew from %d to %d KiB" % (rss_early, rss_after))
    if total == 0:
        problems.append("no request completed")
    if problems:
        print("load test FAILED: " + "; ".join(problems))
        return 1
    print("load test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
