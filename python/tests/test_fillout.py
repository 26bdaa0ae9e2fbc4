"""Random fill-out values (hexgpu.fillout, the trainer's --fillout-mix): the connection
test agrees with a breadth-first search, a won position is worth its winner whatever the
fill, the side to move takes its share of the empty cells, an empty board with as many
cells for each side is even, and the trainer's value target mixes the result and the
fill-outs as documented."""
from collections import deque

import numpy as np

import hexgpu
from conftest import model_path
from hexgpu import fillout
from hexgpu.fillout import blue_connects, fillout_values
from hexgpu.train_data import read_examples

NEIGHBOURS = ((0, -1), (0, 1), (-1, 0), (1, 0), (1, -1), (-1, 1))  # docs/rules: (r, c) -> these


def blue_connects_by_search(board):
    n = board.shape[0]
    seen = {(0, c) for c in range(n) if board[0, c]}
    todo = deque(seen)
    while todo:
        r, c = todo.popleft()
        if r == n - 1:
            return True
        for dr, dc in NEIGHBOURS:
            q = (r + dr, c + dc)
            if 0 <= q[0] < n and 0 <= q[1] < n and board[q] and q not in seen:
                seen.add(q)
                todo.append(q)
    return False


def test_connection_agrees_with_search():
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 13, 16):
        boards = rng.random((400, n, n)) < 0.5
        want = [blue_connects_by_search(b) for b in boards]
        assert list(blue_connects(boards)) == want
        # Hex has no draws: on a full board exactly one side connects (Red's test: the transpose).
        red = blue_connects(np.ascontiguousarray(~boards.transpose(0, 2, 1)))
        assert (blue_connects(boards) != red).all()


def test_won_positions_are_worth_their_winner():
    result = hexgpu.selfplay(model_path("tiny13"), num_games=4, mcts_sims=8, seed=4, device="cpu")
    finals = [g.trmph for g in result.games]
    values = fillout_values(hexgpu.planes(finals, 13).astype(np.uint8), fills=16, seed=1)
    want = [1.0 if g.winner == "r" else -1.0 for g in result.games]
    assert list(values) == want


def test_the_side_to_move_takes_its_share():
    # 2x2: Blue a1 and b2, Red b1; Red to move takes the last cell, a2, and joins its two
    # columns (a2-b1 are neighbours); had Blue taken it, Blue would join its rows.
    position = hexgpu.planes(["#2,a1b1b2"], 2).astype(np.uint8)
    assert position[0, 2, 0, 0] == 1  # Red to move
    assert fillout_values(position, fills=8)[0] == 1.0
    # 6x6 empty: 18 cells each, the board's transpose swaps the colours: even.
    empty = hexgpu.planes(["#6,"], 6).astype(np.uint8)
    assert abs(fillout_values(empty, fills=4000, seed=2)[0]) < 0.08
    # Blue c1-c5 against Red a1-a5, Blue to move: Blue wins with b6 or c6 (c5's neighbours
    # on the last row), and Red needs both and more: Red wins under a quarter of the fills.
    chain = hexgpu.planes(["#6,c1a1c2a2c3a3c4a4c5a5"], 6).astype(np.uint8)
    p_both_red = 13 / 26 * 12 / 25
    assert fillout_values(chain, fills=4000, seed=2)[0] < 2 * p_both_red - 1


def test_trainer_mixes_result_and_fillouts(tmp_path, monkeypatch):
    result = hexgpu.selfplay(model_path("tiny13"), num_games=3, mcts_sims=8, seed=7, device="cpu", output_dir=tmp_path)
    plain = read_examples([result.path])
    mixed = read_examples([result.path], fillout_mix=0.25, fillouts=8)
    cache = list(tmp_path.glob("*.fillout8.npy"))
    assert len(cache) == 1, "the fill-out values are kept beside the targets"
    fills = np.load(cache[0])
    np.testing.assert_allclose(mixed.value, 0.75 * plain.value + 0.25 * fills, atol=1e-6)
    assert set(np.unique(fills * 8 % 2)) <= {0.0}, "a share of 8 fills, on the [-1, 1] scale"
    again = read_examples([result.path], fillout_mix=1.0, fillouts=8)
    np.testing.assert_array_equal(again.value, fills)  # read back, not drawn anew
    # A folder that cannot be written to: the values are computed (the same: seeded by the
    # file's name), not kept, and the run goes on.
    cache[0].unlink()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(fillout.np, "save", refuse)
    unkept = read_examples([result.path], fillout_mix=1.0, fillouts=8)
    np.testing.assert_array_equal(unkept.value, fills)
    assert not list(tmp_path.glob("*.fillout8*"))


def test_value_only_rows_carry_no_policy(tmp_path):
    runs = []
    for seed in (1, 2):
        folder = tmp_path / f"run{seed}"
        runs.append(hexgpu.selfplay(model_path("tiny13"), num_games=2, mcts_sims=8, seed=seed, device="cpu",
                                    output_dir=folder).path)
    both = read_examples(runs)
    split = read_examples([runs[0]], value_only=[runs[1]])
    first = len(read_examples([runs[0]]))
    assert len(split) == len(both) and both.has_policy.all()
    assert split.has_policy[:first].all() and not split.has_policy[first:].any()
    np.testing.assert_array_equal(split.value, both.value)
