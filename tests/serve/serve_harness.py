"""Starts `hexgpu serve` on a free loopback port over copies of the test fixtures, and
speaks HTTP to it with the standard library only (tests/serve/*.py share this)."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("HEXGPU_FIXTURES", os.path.join(HERE, "..", "fixtures"))


class Server:
    """A running server: .port, .models, .records; stop() checks it exits 0 on SIGTERM."""

    def __init__(self, hexgpu, extra=(), records=True, page=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="hexgpu_serve_")
        self.models = os.path.join(self.dir, "models")
        self.records = os.path.join(self.dir, "records")
        os.makedirs(os.path.join(self.models, "run1"))
        os.makedirs(self.records)
        shutil.copy(os.path.join(FIXTURES, "tiny13", "model.safetensors"), os.path.join(self.models, "tiny13.safetensors"))
        shutil.copy(os.path.join(FIXTURES, "tiny11", "model.safetensors"), os.path.join(self.models, "tiny11.safetensors"))
        shutil.copy(os.path.join(FIXTURES, "tiny13", "model.safetensors"),
                    os.path.join(self.models, "run1", "epoch4_mini126.safetensors"))
        command = [hexgpu, "serve", "--models", self.models, "--model", "tiny13.safetensors", "--port", "0",
                   "--backend", "cpu", "--threads", "2"]
        if records:
            command += ["--records", self.records]
        if page:
            command += ["--page", page]
        command += list(extra)
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=dict(os.environ, **(env or {})))
        line = self.process.stdout.readline()
        if not line.startswith("serving http://"):
            self.process.kill()
            raise RuntimeError("server did not start: %r %s" % (line, self.process.stderr.read()))
        self.port = int(line.split(":")[2].split("/")[0])
        self.line = line

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, raw=None, timeout=60):
        """(status, headers dict, parsed JSON or bytes)."""
        conn = self.connection(timeout)
        h = {"Content-Type": "application/json"} if body is not None or raw is not None else {}
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        conn.request(method, path, body=data, headers=h)
        res = conn.getresponse()
        payload = res.read()
        conn.close()
        head = {k.lower(): v for k, v in res.getheaders()}
        if head.get("content-type", "").startswith("application/json"):
            payload = json.loads(payload)
        return res.status, head, payload

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body=body, **kw)

    def rss_kib(self):
        with open("/proc/%d/status" % self.process.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def alive(self):
        return self.process.poll() is None

    def stop(self):
        """SIGTERM; returns the exit code (0 expected) after the server has finished."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.stderr = self.process.stderr.read()
        self.process.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.process.returncode


def hexgpu_path():
    path = os.environ.get("HEXGPU_CLI")
    if not path:
        raise SystemExit("set HEXGPU_CLI to the hexgpu command")
    return path
