"""Drives our page in headless Chromium through chromedriver (WebDriver over HTTP with
urllib: no Selenium, no package beyond Debian's chromium and chromium-driver): a game
with clicks on cells, an engine reply, undo and redo, a swap under the pie rule, a TRMPH
pasted in and read out, the records viewer over a real self-play run's file and the
self-play dashboard over its progress lines. It reads the page's state
(window.hexgpu.snapshot()), not pixels, and saves a screenshot, printing its path.
Run: HEXGPU_CLI=build/hexgpu python3 tests/serve/browser_test.py [--screenshot PATH]"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_harness import FIXTURES, Server, hexgpu_path  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class WebDriver:
    def __init__(self, driver, browser):
        self.port = free_port()
        self.process = subprocess.Popen([driver, "--port=%d" % self.port], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": browser, "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                        "--window-size=1400,1000"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                return json.loads(res.read())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError("WebDriver %s %s: %s" % (method, path, e.read()[:500])) from None

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.session, path), body)

    def open(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def click(self, css):
        eid = self.s("POST", "/element", {"using": "css selector", "value": css})
        self.s("POST", "/element/%s/click" % list(eid.values())[0], {})

    def type(self, css, text):
        eid = list(self.s("POST", "/element", {"using": "css selector", "value": css}).values())[0]
        self.s("POST", "/element/%s/clear" % eid, {})
        self.s("POST", "/element/%s/value" % eid, {"text": text})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.s("GET", "/screenshot")))

    def quit(self):
        try:
            self.s("DELETE", "")
        finally:
            self.process.terminate()
            self.process.wait(timeout=30)


def snapshot(d):
    return d.js("return window.hexgpu.snapshot();")


def wait_for(d, what, predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        snap = snapshot(d) if d.js("return !!(window.hexgpu && window.hexgpu.ready);") else None
        if snap and predicate(snap):
            return snap
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s; page state: %s" % (what, json.dumps(snap)[:2000]))


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok:", message)


def run(d, server):
    d.open("http://127.0.0.1:%d/" % server.port)
    s = wait_for(d, "the page", lambda s: s["game"]["analysis"] is not None and not s["game"]["busy"])
    check(s["game"]["size"] == 13 and s["game"]["trmph"] == "#13,", "the page starts on an empty 13x13 board")
    check(s["game"]["heat"] > 0, "the policy heat map is drawn")
    # A human (Blue) against the engine (Red), few simulations, no pie rule: click, engine replies.
    d.type("#red-simulations", "16")
    d.js("document.getElementById('red-simulations').dispatchEvent(new Event('change'));")
    d.click("#pie")
    d.click('#board polygon[data-cell="g7"]')
    s = wait_for(d, "the engine's reply", lambda s: len(s["game"]["moves"]) == 2 and not s["game"]["busy"])
    check(s["game"]["moves"][0] == "g7" and s["game"]["search"]["top"] > 0,
          "a click played g7 and the engine replied %s with its search shown" % s["game"]["moves"][1])
    check(s["game"]["stones"] == 2 and s["game"]["graph"] == 3, "two stones on the board, three points on the graph")
    d.click('#board polygon[data-cell="c3"]')
    s = wait_for(d, "the second reply", lambda s: len(s["game"]["moves"]) == 4 and not s["game"]["busy"])
    played = s["game"]["moves"]
    d.click("#undo")
    s = wait_for(d, "undo", lambda s: len(s["game"]["moves"]) == 2 and s["game"]["redo"] == 2 and not s["game"]["busy"])
    check(s["game"]["toMove"] == "blue", "undo went back over the engine's move to the human's turn")
    d.click("#redo")
    s = wait_for(d, "redo", lambda s: len(s["game"]["moves"]) == 4 and not s["game"]["busy"])
    check(s["game"]["moves"] == played and s["game"]["redo"] == 0, "redo replayed the human's move and the reply")
    # The pie rule between two humans: Blue plays, Red swaps, the players' settings change sides.
    d.js("document.getElementById('red-kind').value = 'human';"
         "document.getElementById('red-kind').dispatchEvent(new Event('change'));")
    d.click("#pie")
    d.click("#new-game")
    wait_for(d, "a new game", lambda s: s["game"]["trmph"] == "#13," and not s["game"]["busy"])
    d.js("document.getElementById('blue-simulations').value = '7';"
         "document.getElementById('blue-simulations').dispatchEvent(new Event('change'));")
    d.click('#board polygon[data-cell="a1"]')
    wait_for(d, "the first stone", lambda s: len(s["game"]["moves"]) == 1 and not s["game"]["busy"])
    d.click("#swap")
    s = wait_for(d, "the swap", lambda s: s["game"]["swapped"])
    check(s["game"]["players"]["red"]["simulations"] == 7 and s["game"]["toMove"] == "red",
          "swap: the first player's settings now play Red, Red to move, the stone stays")
    # TRMPH in and out.
    d.type("#trmph", "#13,a1b2c3")
    d.click("#load-trmph")
    s = wait_for(d, "the pasted TRMPH", lambda s: s["game"]["moves"] == ["a1", "b2", "c3"] and not s["game"]["busy"])
    check(d.js("return document.getElementById('trmph').value;") == "#13,a1b2c3", "TRMPH pasted in and shown out")
    d.type("#trmph", "#13,a1a1")
    d.click("#load-trmph")
    s = wait_for(d, "a refused TRMPH", lambda s: s["game"]["error"] is not None)
    check("Load" in s["game"]["error"] and s["game"]["moves"] == ["a1", "b2", "c3"],
          "a bad TRMPH is refused with the server's message, the game unchanged")
    # The records viewer over the self-play run.
    d.click("#tab-records")
    s = wait_for(d, "the records", lambda s: s["viewer"]["total"] > 0 and s["viewer"]["game"] is not None)
    check(s["viewer"]["file"].endswith(".trmph") and s["viewer"]["total"] == 3, "the run's 3 games are listed")
    d.click("#games-table tbody tr:nth-child(2)")
    s = wait_for(d, "game 2", lambda s: s["viewer"]["game"]["index"] == 1)
    last = s["viewer"]["game"]["moves"]
    d.click("#view-prev")
    s = wait_for(d, "a step back", lambda s: s["viewer"]["index"] == last - 1 and s["viewer"]["stones"] == last - 1)
    check(True, "stepped through game 2: %d of %d moves shown" % (last - 1, last))
    # The dashboard over the run's progress lines.
    d.click("#tab-dashboard")
    s = wait_for(d, "the dashboard", lambda s: s["dashboard"]["lines"] > 0 and s["dashboard"]["last"]["final"])
    check(s["dashboard"]["last"]["games"] == 3, "the dashboard read the run's progress: 3 games, final line")
    charts = d.js("return document.querySelectorAll('#chart-games polyline, #chart-batches rect').length;")
    check(charts > 0, "the dashboard's charts are drawn")
    d.click("#tab-play")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--screenshot", default=os.path.join(os.getcwd(), "hexgpu-serve-browser.png"))
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()
    hexgpu = hexgpu_path()
    server = Server(hexgpu)
    # a real self-play run in the records folder: its record file and its progress lines
    subprocess.run([hexgpu, "selfplay", "--model_path", os.path.join(FIXTURES, "tiny13", "model.safetensors"),
                    "--backend", "cpu", "--num_games", "3", "--mcts_sims", "8", "--seed", "3", "--progress_interval",
                    "0", "--output_dir", server.records], check=True, capture_output=True)
    d = None
    try:
        d = WebDriver(args.chromedriver, args.chromium)
        run(d, server)
        d.screenshot(args.screenshot)
        print("screenshot: %s" % args.screenshot)
        print("browser test passed")
    except Exception:
        if d:
            try:
                d.screenshot(args.screenshot)
                print("screenshot (at the failure): %s" % args.screenshot)
            except Exception:
                pass
        raise
    finally:
        if d:
            d.quit()
        code = server.stop()
        if code != 0:
            raise SystemExit("server exit %d: %s" % (code, server.stderr))


if __name__ == "__main__":
    main()
