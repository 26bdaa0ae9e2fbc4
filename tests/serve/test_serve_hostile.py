"""What a hostile or broken client sends `hexgpu serve`: oversized bodies (declared and
streamed), broken UTF-8, malformed and deeply nested JSON, wrong types in every field of
every route, path traversal in every place a name goes, broken request lines and headers,
slow clients holding connections, more connections than allowed. Each gets a 4xx (a
one-line JSON error where the server replies) or a closed connection; the server keeps
serving and exits cleanly at the end (CI runs this against the AddressSanitizer build).
Run: HEXGPU_CLI=build/hexgpu python3 tests/serve/test_serve_hostile.py"""
import json
import os
import random
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_harness import Server, hexgpu_path  # noqa: E402

HEXGPU = hexgpu_path()
S = None
POST_ROUTES = ["/api/state", "/api/apply_move", "/api/apply_trmph_sequence", "/api/mcts_move", "/api/save_game",
               "/api/model-browser/select", "/api/model-browser/validate", "/api/hexgpu/evaluate",
               "/api/hexgpu/analyse", "/api/hexgpu/search"]


def setUpModule():
    global S
    S = Server(HEXGPU, extra=["--timeout", "2", "--max-connections", "48", "--max-sims", "64"])


def tearDownModule():
    code = S.stop()
    assert code == 0, "exit %s: %s" % (code, S.stderr[-2000:])


def raw(data, read=True, timeout=10):
    """Sends bytes on a fresh connection; the reply's bytes (b'' when closed without one)."""
    s = socket.create_connection(("127.0.0.1", S.port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:  # the server already closed it
            pass
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:  # reset, or the timeout
                break
            if not chunk:
                break
            out += chunk
        return out
    except OSError:  # reset or closed by the server while sending
        return b""
    finally:
        s.close()


def status_of(reply):
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.") else None


def json_of(reply):
    return json.loads(reply.split(b"\r\n\r\n", 1)[1])


class Hostile(unittest.TestCase):
    def assert_serving(self):
        st, _, b = S.post("/api/state", {"trmph": "#13,g7"})
        self.assertEqual(st, 200)
        self.assertTrue(S.alive())

    def tearDown(self):
        self.assert_serving()

    def test_declared_oversized_body(self):
        reply = raw(b"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000000000\r\n\r\n{\"trmph\":")
        self.assertEqual(status_of(reply), 413)
        self.assertIn("limit", json_of(reply)["error"])

    def test_streamed_oversized_body(self):
        chunk = b"a" * 8192
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(12)) + b"0\r\n\r\n"
        reply = raw(b"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n" + body)
        self.assertEqual(status_of(reply), 413)

    def test_a_body_at_the_limit_is_read(self):
        body = json.dumps({"trmph": "#13,g7", "pad": "x" * (65536 - 40)}).encode()[:65536]
        body = body[: 65536 - 2] + b'"}' if len(body) >= 65536 else body
        st, _, b = S.post("/api/state", None, raw=body)
        self.assertIn(st, (200, 400))

    def test_broken_utf8_and_nul(self):
        for body in [b'{"trmph": "#13,\xff"}', b'{"trmph": "\xc0\xaf"}', b'{"trmph": "\xed\xa0\x80"}',
                     b'{"trmph": "#13,\x00"}', b'{"trmph": "#13,\\u0000a1"}', b'\xef\xbb\xbf{"trmph": "#13,"}']:
            st, _, b = S.post("/api/state", None, raw=body)
            self.assertEqual(st, 400, body)
            self.assertIn("error", b)

    def test_malformed_and_deep_json(self):
        bodies = [b"", b"{", b"[1,2", b'{"trmph": "#13,",}', b"nul", b"NaN", b"1e999999",
                  b"[" * 30000 + b"]" * 30000, b'{"a":' * 5000 + b"1" + b"}" * 5000,
                  b"[" + b"1," * 30000 + b"1]", b'{"trmph": "#13,", "trmph": "#13,a1"}']
        for body in bodies:
            st, _, b = S.post("/api/state", None, raw=body)
            self.assertEqual(st, 400, body[:40])
            self.assertIsInstance(b["error"], str)
            self.assertNotIn("\n", b["error"])

    def test_wrong_types_in_every_field_of_every_route(self):
        values = [None, True, 0, -1, 1e308, "", "x" * 2000, [], {}, ["#13,"], {"a": 1}, "#13,a1a1", "../../etc/passwd",
                  "\u202e<script>", 10 ** 30]
        fields = ["trmph", "move", "trmph_sequence", "model_id", "model", "temperature", "num_simulations",
                  "exploration_constant", "enable_gumbel", "gumbel_max_sims", "winner", "mcts_params", "model_path",
                  "positions", "simulations", "c_puct", "pie", "logits", "temperature_end", "noise"]
        rng = random.Random(1)
        for route in POST_ROUTES:
            for _ in range(40):
                body = {"trmph": "#13,g7"}
                for f in rng.sample(fields, 3):
                    body[f] = rng.choice(values)
                st, _, b = S.post(route, body)
                self.assertLess(st, 500, (route, body, b))
                if st >= 400:
                    self.assertIn("error", b, (route, body))
            for body in [[], "x", 1, None]:
                st, _, b = S.post(route, None, raw=json.dumps(body).encode())
                self.assertEqual(st, 400, (route, body))

    def test_traversal_everywhere_a_name_goes(self):
        for path in ["/static/../../../../etc/passwd", "/hexgpu/../../etc/passwd", "/hexgpu/%2e%2e/%2e%2e/etc/passwd",
                     "/hexgpu/..%2f..%2fetc%2fpasswd", "/api/hexgpu/records/games?file=..%2F..%2Fetc%2Fpasswd.trmph",
                     "/api/hexgpu/progress?file=%2Fetc%2Fx.progress.jsonl", "//etc/passwd"]:
            st, _, b = S.get(path)
            self.assertIn(st, (400, 404), path)
            self.assertNotIn(b"root:", b if isinstance(b, bytes) else json.dumps(b).encode())
        st, _, b = S.get("/api/model-browser/directory/..%2F..%2Fetc")
        self.assertEqual((st, b["models"]), (200, []), "only scanned names match")
        for model in ["../../etc/passwd", "/etc/passwd", "..", "models/../../x.pt", "tiny13.safetensors/../x.pt"]:
            for route, body in [("/api/state", {"trmph": "#13,", "model_id": model}),
                                ("/api/hexgpu/evaluate", {"positions": ["#13,"], "model": model}),
                                ("/api/model-browser/select", {"model_path": model, "model_id": "x1"})]:
                st, _, b = S.post(route, body)
                self.assertEqual(st, 400, (route, model))

    def test_broken_request_lines_and_headers(self):
        for data in [b"\x00\xff\xfe garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n",
                     b"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -5\r\n\r\n",
                     b"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n"]:
            reply = raw(data)
            st = status_of(reply)
            self.assertTrue(st is None or 400 <= st < 500 or st == 505, (data[:40], reply[:80]))

    def test_random_bytes_as_bodies(self):
        rng = random.Random(2)
        for _ in range(150):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
            st, _, b = S.post(rng.choice(POST_ROUTES), None, raw=body)
            self.assertEqual(st, 400)

    def test_slow_clients_are_cut_and_do_not_block_others(self):
        slow = []
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", S.port), timeout=10)
            s.sendall(b"POST /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n")  # never ends
            slow.append(s)
        t0 = time.time()
        self.assert_serving()
        self.assertLess(time.time() - t0, 2.0, "a live client is served at once beside slow ones")
        time.sleep(4.5)  # --timeout 2
        closed = 0
        for s in slow:
            try:
                closed += s.recv(100) == b""
            except (ConnectionResetError, socket.timeout):
                closed += 1
            s.close()
        self.assertEqual(closed, 20, "idle connections are closed after --timeout")

    def test_more_connections_than_allowed(self):
        held = []
        for _ in range(60):  # --max-connections 48
            try:
                held.append(socket.create_connection(("127.0.0.1", S.port), timeout=5))
            except OSError:
                break
        for s in held:
            s.close()
        time.sleep(0.3)


if __name__ == "__main__":
    unittest.main(verbosity=1)
