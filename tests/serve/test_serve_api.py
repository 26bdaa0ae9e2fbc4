"""Every route of `hexgpu serve` over real HTTP: the reference system's API with its
fields and conventions (spec in docs/serve.md), our own API against `hexgpu eval`'s
numbers, the model browser confined to --models, saved games, records and progress
files, the pages, and the rules every request meets (headers, Host, token).
Run: HEXGPU_CLI=build/hexgpu python3 tests/serve/test_serve_api.py"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_harness import FIXTURES, Server, hexgpu_path  # noqa: E402

HEXGPU = hexgpu_path()
S = None
# Blue fills row 1, Red row 2: Red connects left to right with m2, move 26.
RED_WINS = "#13," + "".join("%s1%s2" % (c, c) for c in "abcdefghijklm")
RED_WON_GAME = RED_WINS  # a1 a2 ... m1 m2: the last move m2 wins for Red


def setUpModule():
    global S
    S = Server(HEXGPU)


def tearDownModule():
    assert S.stop() == 0, S.stderr


def cells(n):
    return ["%s%d" % (chr(97 + c), r + 1) for r in range(n) for c in range(n)]


class Reference(unittest.TestCase):
    def test_constants(self):
        st, _, body = S.get("/api/constants")
        self.assertEqual(st, 200)
        self.assertEqual(body, {"BOARD_SIZE": 13, "PIECE_VALUES": {"EMPTY": "e", "BLUE": "b", "RED": "r"},
                                "PLAYER_VALUES": {"BLUE": 0, "RED": 1}, "WINNER_VALUES": {"BLUE": "b", "RED": "r"}})

    def test_models_lists_model1_and_names_only(self):
        st, _, body = S.get("/api/models")
        self.assertEqual(st, 200)
        ids = [m["id"] for m in body["models"]]
        self.assertEqual(ids[0], "model1")
        self.assertIn("run1/epoch4_mini126.safetensors", ids)
        for m in body["models"]:
            self.assertIn("name", m)
            self.assertNotIn(S.dir, json.dumps(m), "a server path leaked")

    def test_state_of_the_empty_board(self):
        st, _, b = S.post("/api/state", {"trmph": "#13,", "model_id": "model1", "temperature": 1.0, "verbose": 2})
        self.assertEqual(st, 200)
        self.assertEqual(b["board"], [["e"] * 13] * 13)
        self.assertEqual((b["player"], b["player_enum"], b["player_index"], b["winner"]), ("blue", "BLUE", 0, None))
        self.assertEqual(b["legal_moves"], cells(13))
        self.assertEqual(b["trmph"], "#13,")
        self.assertAlmostEqual(sum(b["policy"].values()), 1.0, places=5)
        self.assertEqual(len(b["policy"]), 169)
        # Blue to move: win_prob = (1 - v) / 2 with v in Red's frame
        self.assertAlmostEqual(b["win_prob"], (1 - b["value_signed"]) / 2, places=6)

    def test_state_policy_is_over_empty_cells_and_sharpens_with_temperature(self):
        _, _, warm = S.post("/api/state", {"trmph": "#13,g7f8", "temperature": 1.0})
        _, _, cold = S.post("/api/state", {"trmph": "#13,g7f8", "temperature": 0.01})
        self.assertEqual(warm["policy"]["g7"], 0.0)
        self.assertEqual(warm["policy"]["f8"], 0.0)
        self.assertEqual(warm["board"][6][6], "b")
        self.assertEqual(warm["board"][7][5], "r")
        self.assertEqual(warm["player"], "blue")
        top = max(warm["policy"], key=warm["policy"].get)
        self.assertEqual(cold["policy"][top], 1.0, "T < 0.02: all the mass on the top logit")
        self.assertAlmostEqual(sum(cold["policy"].values()), 1.0, places=6)

    def test_state_of_a_finished_game_is_answered(self):
        st, _, b = S.post("/api/state", {"trmph": RED_WON_GAME})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["winner"], "red")
        self.assertEqual(b["legal_moves"], [])
        self.assertEqual(b["player"], "blue", "after the win: the side that would move next")

    def test_state_refuses_bad_trmph_with_json(self):
        for bad in ["13,a1", "#13,a1a1", "#13,z1", "#13,a14", "#13,a1 junk", ""]:
            st, _, b = S.post("/api/state", {"trmph": bad})
            self.assertEqual(st, 400, bad)
            self.assertIn("error", b)
        st, _, b = S.post("/api/state", {"trmph": "#13,", "model_id": "../../etc/passwd"})
        self.assertEqual(st, 400)
        st, _, b = S.post("/api/state", {"trmph": "#13,", "model_id": "tiny11.safetensors"})
        self.assertEqual(st, 400)
        self.assertIn("11x11", b["error"])

    def test_state_on_another_board_size_with_its_model(self):
        st, _, b = S.post("/api/state", {"trmph": "#11,f6", "model_id": "tiny11.safetensors"})
        self.assertEqual(st, 200, b)
        self.assertEqual(len(b["board"]), 11)
        self.assertEqual(len(b["legal_moves"]), 120)

    def test_apply_move(self):
        st, _, b = S.post("/api/apply_move", {"trmph": "#13,g7", "move": "f8", "model_id": "model1"})
        self.assertEqual(st, 200)
        self.assertEqual(b["new_trmph"], "#13,g7f8")
        self.assertEqual(b["player"], "blue")
        self.assertIsNone(b["model_move"])
        self.assertNotIn("f8", b["legal_moves"])
        self.assertEqual(len(b["legal_moves"]), 167)
        st, _, b = S.post("/api/apply_move", {"trmph": "#13,g7", "move": "a01"})
        self.assertEqual((st, b["new_trmph"]), (200, "#13,g7a1"))
        for move in ["g7", "n1", "zz", "a0", ""]:
            st, _, b = S.post("/api/apply_move", {"trmph": "#13,g7", "move": move})
            self.assertEqual(st, 400, move)
            self.assertTrue(b["error"].startswith("Invalid move"), b)
        st, _, b = S.post("/api/apply_move", {"trmph": RED_WON_GAME, "move": "a5"})
        self.assertEqual(st, 400)
        self.assertIn("over", b["error"])

    def test_apply_trmph_sequence(self):
        st, _, b = S.post("/api/apply_trmph_sequence", {"trmph": "#13,", "trmph_sequence": "  a1b2c3\n"})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["new_trmph"], b["moves_applied"], b["game_over"]), ("#13,a1b2c3", 3, False))
        self.assertEqual(b["player"], "red")
        # moves after the win are skipped and not counted as applied
        seq = RED_WINS[4:] + "a5b5"
        st, _, b = S.post("/api/apply_trmph_sequence", {"trmph": "#13,", "trmph_sequence": seq})
        self.assertEqual((st, b["moves_applied"], b["moves_skipped"], b["game_over"], b["winner"]),
                         (200, 26, 2, True, "red"))
        st, _, b = S.post("/api/apply_trmph_sequence", {"trmph": "#13,", "trmph_sequence": "  "})
        self.assertEqual((st, b["error"]), (400, "No TRMPH sequence provided"))
        for bad in ["a1a1", "a1zz", "a1b"]:
            st, _, b = S.post("/api/apply_trmph_sequence", {"trmph": "#13,", "trmph_sequence": bad})
            self.assertEqual(st, 400, bad)
            self.assertTrue(b["error"].startswith("Invalid TRMPH sequence"), b)

    def test_mcts_move(self):
        req = {"trmph": "#13,g7", "model_id": "model1", "num_simulations": 24, "exploration_constant": 2.9,
               "temperature": 0.2, "verbose": 2, "enable_gumbel": True, "gumbel_max_sims": 500}
        st, _, b = S.post("/api/mcts_move", req)
        self.assertEqual(st, 200, b)
        self.assertTrue(b["success"])
        move = b["move_made"]
        self.assertEqual(b["new_trmph"], "#13,g7" + move)
        self.assertEqual(b["player"], "blue")
        self.assertNotIn(move, b["legal_moves"])
        self.assertIsNone(b["winner"])
        info = b["mcts_debug_info"]
        self.assertEqual(info["algorithm_info"]["algorithm"], "MCTS (Gumbel on)")
        for key in ["root_value", "best_child_value", "win_probability"]:
            self.assertIsInstance(info["win_rate_analysis"][key], (int, float))
        self.assertIsInstance(info["summary"]["search_efficiency"], (int, float))
        row, col = info["move_selection"]["selected_move_coords"]
        self.assertEqual("%s%d" % (chr(97 + col), row + 1), move)
        self.assertEqual(sum(info["move_probabilities"]["mcts_visits"].values()), 24)
        self.assertEqual(b["tree_data"]["total_visits"], 24)
        self.assertFalse(b["tree_data"]["detailed_exploration"]["enabled"])
        req["enable_gumbel"] = False
        st, _, b = S.post("/api/mcts_move", req)
        self.assertEqual(b["mcts_debug_info"]["algorithm_info"]["algorithm"], "MCTS (Gumbel off)")

    def test_mcts_move_plays_an_immediate_win(self):
        st, _, b = S.post("/api/mcts_move", {"trmph": RED_WINS[:-2], "num_simulations": 50})
        self.assertEqual(st, 200)
        self.assertEqual((b["move_made"], b["winner"], b["game_over"]), ("m2", "red", True))
        self.assertEqual(b["mcts_debug_info"]["algorithm_info"]["early_termination_reason"], "terminal_move")

    def test_mcts_move_on_a_finished_game_and_bad_parameters(self):
        st, _, b = S.post("/api/mcts_move", {"trmph": RED_WON_GAME})
        self.assertEqual((st, b["success"], b["move_made"], b["game_over"], b["mcts_debug_info"]),
                         (200, True, None, True, {}))
        for bad in [{"num_simulations": 0}, {"num_simulations": 10_000_000}, {"exploration_constant": 0},
                    {"temperature": -1}, {"num_simulations": "90"}, {"trmph": "#13,a1a1"}, {"trmph": None}]:
            req = {"trmph": "#13,"}
            req.update(bad)
            st, _, b = S.post("/api/mcts_move", req)
            self.assertEqual(st, 400, bad)
            self.assertEqual(b["success"], False)
            self.assertIn("error", b)

    def test_save_game(self):
        st, _, b = S.post("/api/save_game", {"trmph": RED_WON_GAME, "winner": "RED", "model_id": "model1",
                                             "mcts_params": {"blue": {"num_simulations": 90}}})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["success"], b["trmph_file"]), (True, "web_games.trmph"))
        with open(os.path.join(S.records, "web_games.trmph")) as f:
            self.assertIn(RED_WON_GAME + " r\n", f.read())
        with open(os.path.join(S.records, "web_games.jsonl")) as f:
            last = json.loads(f.read().splitlines()[-1])
        self.assertEqual((last["winner"], last["mcts_params"]), ("red", {"blue": {"num_simulations": 90}}))
        st, _, b = S.post("/api/save_game", {"trmph": RED_WON_GAME})
        self.assertEqual(st, 200, "the winner is the board's when none is sent")
        cases = [({"trmph": ""}, "TRMPH sequence is required"), ({"trmph": "#13,a1"}, "not finished"),
                 ({"trmph": RED_WON_GAME, "winner": "blue"}, "Invalid winner"),
                 ({"trmph": RED_WON_GAME, "winner": "green"}, "Invalid winner"),
                 ({"trmph": RED_WON_GAME + "\n#13,a1 b"}, "Invalid TRMPH")]
        for req, why in cases:
            st, _, b = S.post("/api/save_game", req)
            self.assertEqual((st, b["success"]), (400, False), req)
            self.assertIn(why, b["error"])

    def test_model_browser(self):
        st, _, b = S.get("/api/model-browser/directories")
        self.assertEqual((st, b["directories"]), (200, [".", "run1"]))
        st, _, b = S.get("/api/model-browser/directory/run1")
        item = b["models"][0]
        self.assertEqual((item["relative_path"], item["filename"], item["directory"], item["epoch"], item["mini"]),
                         ("run1/epoch4_mini126.safetensors", "epoch4_mini126.safetensors", "run1", 4, 126))
        self.assertIsInstance(item["size_mb"], (int, float))
        st, _, b = S.get("/api/model-browser/search?q=MINI")
        self.assertEqual([m["relative_path"] for m in b["models"]], ["run1/epoch4_mini126.safetensors"])
        st, _, b = S.get("/api/model-browser/search?q=")
        self.assertEqual(b["models"], [])
        st, _, b = S.post("/api/model-browser/select", {"model_path": "tiny11.safetensors", "model_id": "model_123"})
        self.assertEqual((st, b["success"], b["model_id"]), (200, True, "model_123"), b)
        st, _, b = S.post("/api/state", {"trmph": "#11,", "model_id": "model_123"})
        self.assertEqual((st, len(b["board"])), (200, 11), "a selected id works as model_id")
        st, _, b = S.get("/api/model-browser/recent")
        self.assertEqual(b["recent_models"][0]["relative_path"], "tiny11.safetensors")
        for req in [{"model_path": "../tiny13.safetensors"}, {"model_path": "/etc/passwd"},
                    {"model_path": "tiny11.safetensors", "model_id": "model1"}, {"model_path": "missing.pt"}]:
            st, _, b = S.post("/api/model-browser/select", req)
            self.assertGreaterEqual(st, 400, req)
            self.assertFalse(b.get("success", False))
        st, _, b = S.post("/api/model-browser/select", {})
        self.assertEqual((st, b["error"]), (400, "model_path required"))
        st, _, b = S.post("/api/state", {"trmph": "#13,", "model_id": "model1"})
        self.assertEqual(len(b["board"]), 13, "model1 was not redirected")
        st, _, b = S.post("/api/model-browser/validate", {"model_path": "run1/epoch4_mini126.safetensors"})
        self.assertEqual((st, b["valid"], b["error"]), (200, True, None))
        st, _, b = S.post("/api/model-browser/validate", {"model_path": "/etc/passwd"})
        self.assertEqual((b["valid"], b["error"]), (False, "no such model under --models"))
        st, _, b = S.post("/api/model-browser/refresh", {})
        self.assertEqual(b["count"], 3)
        st, _, b = S.get("/api/cache/status")
        self.assertEqual(b["cache_status"], "active")
        st, _, b = S.post("/api/cache/clear", {})
        self.assertTrue(b["success"])


class Ours(unittest.TestCase):
    POSITIONS = ["#13,", "#13,g7", "#13,g7f8a1", RED_WON_GAME]

    def test_evaluate_matches_hexgpu_eval(self):
        st, _, b = S.post("/api/hexgpu/evaluate", {"positions": self.POSITIONS, "logits": True})
        self.assertEqual(st, 200, b)
        out = subprocess.run([HEXGPU, "eval", "--model", os.path.join(FIXTURES, "tiny13", "model.safetensors"),
                              "--backend", "cpu"] + self.POSITIONS, capture_output=True, text=True, check=True)
        expected = [json.loads(line) for line in out.stdout.splitlines()]
        self.assertEqual(len(b["results"]), len(expected))
        for got, want in zip(b["results"], expected):
            for key in ["trmph", "to_move", "best_move"]:
                self.assertEqual(got[key], want[key])
            self.assertAlmostEqual(got["value"], want["value"], places=6)
            for k in ["policy", "policy_logits"]:
                self.assertEqual(len(got[k]), 169)
                for g, w in zip(got[k], want[k]):
                    self.assertAlmostEqual(g, w, delta=1e-6 * max(1.0, abs(w)))

    def test_evaluate_limits_and_errors(self):
        st, _, b = S.post("/api/hexgpu/evaluate", {"positions": ["#13,"] * 257})
        self.assertEqual(st, 413)
        for bad in [{"positions": []}, {"positions": "#13,"}, {"positions": [1]}, {"positions": ["#13,a1a1"]},
                    {"positions": ["#11,"]}, {"positions": ["#13,"], "model": "nope.pt"}]:
            st, _, b = S.post("/api/hexgpu/evaluate", bad)
            self.assertEqual(st, 400, bad)
            self.assertIn("error", b)

    def test_analyse(self):
        st, _, b = S.post("/api/hexgpu/analyse", {"trmph": "#13,g7"})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["size"], b["moves"], b["to_move"], b["winner"]), (13, 1, "red", None))
        self.assertAlmostEqual(b["win_prob"]["red"], (b["value"] + 1) / 2, places=6)
        self.assertAlmostEqual(b["win_prob"]["blue"] + b["win_prob"]["red"], 1.0, places=6)
        self.assertEqual(b["policy"][6 * 13 + 6], 0.0)
        self.assertAlmostEqual(sum(b["policy"]), 1.0, places=5)

    def test_search(self):
        st, _, b = S.post("/api/hexgpu/search", {"trmph": "#13,g7", "simulations": 32, "gumbel": False})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["simulations"], 32)
        self.assertEqual(sum(t["visits"] for t in b["top"][:16]) <= 32, True)
        self.assertEqual(b["top"][0]["move"], b["move"], "temperature 0: the most visited move")
        self.assertIn(b["swap"], [False])
        st, _, b = S.post("/api/hexgpu/search", {"trmph": "#13,g7", "simulations": 8, "pie": True})
        self.assertEqual(st, 200)
        self.assertIsInstance(b["swap"], bool)
        st, _, b = S.post("/api/hexgpu/search", {"trmph": RED_WON_GAME})
        self.assertEqual(st, 400)

    def test_info_models_status(self):
        st, _, b = S.get("/api/hexgpu/info")
        self.assertEqual((st, b["board_size"], b["default_model"], b["records"]), (200, 13, "tiny13.safetensors", True))
        st, _, b = S.get("/api/hexgpu/models")
        self.assertEqual([m["name"] for m in b["models"]],
                         ["run1/epoch4_mini126.safetensors", "tiny11.safetensors", "tiny13.safetensors"])
        st, _, b = S.get("/api/hexgpu/status")
        self.assertGreater(b["requests"], 0)
        self.assertEqual(b["models"][0]["name"], "tiny13.safetensors")

    def test_records_and_progress(self):
        with open(os.path.join(S.records, "run.trmph"), "w") as f:
            f.write("# hexgpu selfplay\n# model: x\n%s r\n#13,a1 b\nnot a record\n%s r\n" % (RED_WON_GAME, RED_WON_GAME))
        with open(os.path.join(S.records, "run.trmph.progress.jsonl"), "w") as f:
            f.write('{"games": 1}\n{"games": 2}\n{"games": 3')  # the last line is still being written
        st, _, b = S.get("/api/hexgpu/records")
        self.assertIn("run.trmph", [x["name"] for x in b["files"]])
        self.assertIn("run.trmph.progress.jsonl", [x["name"] for x in b["progress"]])
        self.assertNotIn("run.trmph.progress.jsonl", [x["name"] for x in b["files"]])
        st, _, b = S.get("/api/hexgpu/records/games?file=run.trmph&offset=1&limit=5")
        self.assertEqual(st, 200, b)
        self.assertEqual((b["total"], b["skipped_lines"], len(b["games"])), (2, 2, 1))
        self.assertEqual(b["header"], ["# hexgpu selfplay", "# model: x"])
        self.assertEqual((b["games"][0]["index"], b["games"][0]["winner"], b["games"][0]["moves"]), (1, "red", 26))
        st, _, b = S.get("/api/hexgpu/progress?file=run.trmph.progress.jsonl")
        self.assertEqual((b["lines"], b["next"]), ([{"games": 1}, {"games": 2}], 2))
        st, _, b = S.get("/api/hexgpu/progress?file=run.trmph.progress.jsonl&after=1")
        self.assertEqual(b["lines"], [{"games": 2}])
        for path in ["/api/hexgpu/records/games?file=../x.trmph", "/api/hexgpu/records/games?file=/etc/passwd",
                     "/api/hexgpu/records/games", "/api/hexgpu/progress?file=run.trmph"]:
            st, _, b = S.get(path)
            self.assertEqual(st, 400, path)
        st, _, b = S.get("/api/hexgpu/records/games?file=missing.trmph")
        self.assertEqual(st, 404)


    def test_a_selfplay_run_is_listed_with_its_progress(self):
        run = os.path.join(S.records, "run2")
        subprocess.run([HEXGPU, "selfplay", "--model_path", os.path.join(FIXTURES, "tiny13", "model.safetensors"),
                        "--backend", "cpu", "--num_games", "2", "--mcts_sims", "4", "--seed", "5",
                        "--progress_interval", "0", "--output_dir", run], check=True, capture_output=True)
        st, _, b = S.get("/api/hexgpu/records")
        progress = [x["name"] for x in b["progress"] if x["name"].startswith("run2/")]
        records = [x["name"] for x in b["files"] if x["name"].startswith("run2/")]
        self.assertEqual(len(progress), 1)
        self.assertEqual(progress[0], records[0] + ".progress.jsonl")
        st, _, b = S.get("/api/hexgpu/progress?file=" + progress[0])
        last = b["lines"][-1]
        self.assertEqual((last["games"], last["final"], last["wins"]["blue"] + last["wins"]["red"]), (2, True, 2))
        st, _, g = S.get("/api/hexgpu/records/games?file=" + records[0])
        self.assertEqual(g["total"], 2)
        self.assertEqual(last["positions"], sum(x["moves"] for x in g["games"]))


class Pages(unittest.TestCase):
    def test_our_page_and_assets(self):
        st, h, body = S.get("/")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/html"))
        self.assertIn(b"/hexgpu/app.js", body)
        st, h, body = S.get("/hexgpu/app.js")
        self.assertEqual(st, 200)
        self.assertTrue(h["content-type"].startswith("text/javascript"))
        st, _, _ = S.get("/hexgpu/style.css")
        self.assertEqual(st, 200)
        st, _, _ = S.get("/static/app.js")
        self.assertEqual(st, 404, "no --page: no /static")

    def test_every_reply_carries_the_safety_headers_and_no_cors(self):
        for path in ["/", "/api/constants", "/nope"]:
            st, h, _ = S.get(path)
            self.assertEqual(h["x-content-type-options"], "nosniff")
            self.assertIn("default-src 'self'", h["content-security-policy"])
            self.assertNotIn("access-control-allow-origin", h)
        st, h, b = S.get("/nope")
        self.assertEqual((st, b["error"]), (404, "no such route: /nope"))
        st, h, b = S.request("PUT", "/api/state")
        self.assertEqual(st, 405)
        st, h, b = S.post("/api/state", None, raw=b'{"trmph": "#13,"}', headers={"Content-Type": "text/plain"})
        self.assertEqual(st, 415, "a cross-site form post cannot reach the API")

    def test_host_must_name_loopback(self):
        # Names an attacker's DNS can point at 127.0.0.1 that only look like loopback.
        for host in ["evil.example:%d" % S.port, "127.evil.example", "127.0.0.1.evil.example:%d" % S.port,
                     "127.0.0.1evil", "[::1].evil.example", "[::1x]", "localhost.evil.example"]:
            st, _, b = S.get("/api/constants", headers={"Host": host})
            self.assertEqual(st, 403, host)
        for host in ["localhost:%d" % S.port, "127.0.0.1", "127.1.2.3:8080", "[::1]:80", "[::1]", "LOCALHOST"]:
            st, _, b = S.get("/api/constants", headers={"Host": host})
            self.assertEqual(st, 200, host)


class OtherServers(unittest.TestCase):
    def test_reference_page_folder(self):
        page = tempfile.mkdtemp()
        with open(os.path.join(page, "index.html"), "w") as f:
            f.write("<html>theirs</html>")
        with open(os.path.join(page, "app.js"), "w") as f:
            f.write("// theirs")
        os.symlink("/etc/passwd", os.path.join(page, "passwd.txt"))
        other = Server(HEXGPU, page=page, records=False)
        try:
            self.assertEqual(other.get("/")[2], b"<html>theirs</html>")
            self.assertEqual(other.get("/static/app.js")[2], b"// theirs")
            for path in ["/static/passwd.txt", "/static/../../etc/passwd", "/static/%2e%2e/x.js", "/static/missing.js"]:
                self.assertEqual(other.get(path)[0], 404, path)
            self.assertIn(b"/hexgpu/app.js", other.get("/hexgpu/")[2], "ours stays at /hexgpu/")
            st, _, b = other.post("/api/save_game", {"trmph": RED_WON_GAME})
            self.assertEqual((st, b["success"]), (403, False), "no --records: saving is off")
        finally:
            self.assertEqual(other.stop(), 0)

    def test_token(self):
        token = "s3cret-token-0123456789"
        other = Server(HEXGPU, extra=["--token", token], records=False)
        try:
            st, _, b = other.get("/api/constants")
            self.assertEqual(st, 401)
            st, _, _ = other.get("/api/constants", headers={"Authorization": "Bearer " + token})
            self.assertEqual(st, 200)
            st, _, _ = other.get("/api/constants", headers={"Authorization": "Bearer wrong-token-0123456789"})
            self.assertEqual(st, 401)
            st, h, _ = other.get("/?token=" + token)
            self.assertEqual(st, 200)
            cookie = h["set-cookie"].split(";")[0]
            self.assertIn("HttpOnly", h["set-cookie"])
            st, _, _ = other.get("/api/constants", headers={"Cookie": cookie})
            self.assertEqual(st, 200)
        finally:
            self.assertEqual(other.stop(), 0)

    def test_shipped_networks_without_models(self):
        # No --models: the shipped networks' folder (models/ beside the build), the
        # strongest of them as model1.
        proc = subprocess.Popen([HEXGPU, "serve", "--port", "0", "--backend", "cpu"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            self.assertIn("serving http://127.0.0.1:", line)
            self.assertRegex(line, r"model loop-(13x13|7x7)\.safetensors")
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=30), 0)

    def test_refusals_at_start(self):
        def start(*args):
            return subprocess.run([HEXGPU, "serve"] + list(args), capture_output=True, text=True, timeout=60)
        empty = tempfile.mkdtemp()
        models = os.path.join(FIXTURES, "tiny13")
        cases = [(["--models", empty], "holds no model"),
                 (["--models", models, "--host", "0.0.0.0"], "--token"),
                 (["--models", models, "--host", "0.0.0.0", "--token", "short"], "at least 16"),
                 (["--models", models, "--model", "../x.pt"], "not a name"),
                 (["--models", models, "--port", "70000"], "--port")]
        for args, why in cases:
            r = start(*args)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertTrue(r.stderr.startswith("error: "), r.stderr)
            self.assertIn(why, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=1)
