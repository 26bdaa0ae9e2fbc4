"""python -m hexgpu.train: trains the reference TwoHeadedResNet on the training targets of
`hexgpu selfplay` (docs/training.md).

    python -m hexgpu.train games/ --checkpoint run/net.pt --export run/net.safetensors \\
        --widths 32,32,32,64,64 --epochs 2

- Data: `.train.json` sidecars, the record files they sit beside, or folders of them.
  Board size from the data. Each batch is augmented by Hex's 180-degree rotation
  (half of its rows, drawn from the seed).
- Losses: `alphazero` (default): cross-entropy against the full policy target (the root's
  visit distribution; `--policy-target improved`: Gumbel's improved policy) plus MSE of the
  value against the game's result (Red's view, both in [-1, 1]). `reference`: the reference
  system's 0.15 x cross-entropy against the played move + 0.85 x MSE of the win
  probability (v+1)/2 against the result as 0/1.
- Output: `--checkpoint` (the reference's trainer checkpoint `.pt`: model_state_dict,
  epoch, optimizer_state_dict, train_metrics, val_metrics, best_val_loss,
  mixed_precision; plus our own `hexgpu_trainer` state) written atomically every
  `--save-every` steps and at each epoch's end, and `--export` (safetensors, what `hexgpu`
  loads) at the end. When the checkpoint exists the run resumes from it: weights,
  optimizer, epoch and the step inside it (the same batches as an uninterrupted run).
- `--init M`: start from a model file (safetensors, .pt, .pt.gz; a trainer checkpoint of
  ours brings its optimizer state too) instead of random weights; `--epochs 0` with no
  data writes the initial network (`--uniform`: uniform policy, value 0) and stops.
Exit codes: 0 done, 1 an I/O failure or interruption (the checkpoint holds the last saved
step), 2 bad usage or bad data.
"""
import argparse
import hashlib
import json
import math
import os
import sys
import time
from typing import Dict, List, Optional

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - the message is the point
    sys.stderr.write("error: python -m hexgpu.train needs PyTorch: pip install 'hexgpu[train]' "
                     "(or scripts/loop.sh, which makes a virtual environment with it)\n")
    sys.exit(1)

from .network_torch import TwoHeadedResNet, dims_from_state_dict, rotate180, rotate180_cells
from .train_data import POLICY_TARGETS, Examples, read_examples, sidecars, split_by_game
from .train_files import load_state_dict, save_checkpoint, write_safetensors

LOSSES = {
    # name: (policy weight, value weight, value on the win-probability scale)
    "alphazero": (1.0, 1.0, False),
    "reference": (0.15, 0.85, True),
}


class UsageError(Exception):
    """Bad options or data: exit code 2."""


def parse_widths(text: str) -> List[int]:
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        widths = []
    if len(widths) == 4:
        widths = [widths[0]] + widths
    if len(widths) != 5 or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"'{text}': expected C1,C2,C3,C4 or C0,C1,C2,C3,C4 (positive)")
    return widths


def make_uniform(net: TwoHeadedResNet) -> None:
    """Policy logits all 0 (a uniform prior) and value 0 everywhere: the search alone plays."""
    with torch.no_grad():
        for p in (net.policy_head.weight, net.policy_head.bias, net.value_head[3].weight, net.value_head[3].bias):
            p.zero_()


def loss_weights(loss: str, policy_weight: Optional[float] = None, value_weight: Optional[float] = None):
    """(policy weight, value weight, value on the win-probability scale) of a named loss,
    with either weight replaced when given."""
    p, v, probability = LOSSES[loss]
    return (p if policy_weight is None else policy_weight, v if value_weight is None else value_weight, probability)


def losses(net: TwoHeadedResNet, planes: torch.Tensor, policy: torch.Tensor, has_policy: torch.Tensor,
           value: torch.Tensor, weights):
    """(total, policy loss, value loss) of a batch, each a mean; the policy loss over the rows
    with a policy target (0 when there is none)."""
    policy_weight, value_weight, probability = weights
    logits, v = net(planes)
    v = v.view(-1)
    if has_policy.any():
        log_p = F.log_softmax(logits[has_policy], dim=1)
        policy_loss = -(policy[has_policy] * log_p).sum(1).mean()
    else:
        policy_loss = logits.sum() * 0.0
    value_loss = F.mse_loss((v + 1) / 2, (value + 1) / 2) if probability else F.mse_loss(v, value)
    return policy_weight * policy_loss + value_weight * value_loss, policy_loss, value_loss


def batch_tensors(ex: Examples, rows: np.ndarray, flip: Optional[np.ndarray]):
    planes = torch.from_numpy(ex.planes[rows].astype(np.float32))
    policy = torch.from_numpy(ex.policy[rows])
    if flip is not None and flip.any():
        f = torch.from_numpy(flip)
        planes[f] = rotate180(planes[f])
        policy[f] = rotate180_cells(policy[f])
    return planes, policy, torch.from_numpy(ex.has_policy[rows]), torch.from_numpy(ex.value[rows])


def evaluate(net: TwoHeadedResNet, ex: Examples, weights, batch_size: int) -> Dict[str, float]:
    """Mean losses over every row (no augmentation), the network in eval mode."""
    net.eval()
    totals = np.zeros(3)
    policy_rows = 0
    with torch.no_grad():
        for start in range(0, len(ex), batch_size):
            rows = np.arange(start, min(start + batch_size, len(ex)))
            planes, policy, has_policy, value = batch_tensors(ex, rows, None)
            total, p, v = losses(net, planes, policy, has_policy, value, weights)
            k, kp = len(rows), int(has_policy.sum())
            totals += [0.0, p.item() * kp, v.item() * k]
            policy_rows += kp
    net.train()
    policy_weight, value_weight, _ = weights
    p = totals[1] / max(policy_rows, 1)
    v = totals[2] / max(len(ex), 1)
    # Python floats: the checkpoint's pickle must hold plain values (no numpy scalars), so that
    # torch.load(weights_only=True) and hexgpu's restricted unpickler both read it.
    # policy_rows: 0 when every row trained the value alone (--value-only), whose policy loss
    # of 0 is no measurement (the curve leaves it out).
    return {"loss": float(policy_weight * p + value_weight * v), "policy_loss": float(p), "value_loss": float(v),
            "policy_rows": int(policy_rows)}


class Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, else a line at
    every tenth of the epoch (log files stay short)."""

    def __init__(self, epoch: int, epochs: int, steps: int, quiet: bool):
        self.epoch, self.epochs, self.steps, self.quiet = epoch, epochs, steps, quiet
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self.last_tenth = -1

    def update(self, step: int, loss: float) -> None:
        if self.quiet:
            return
        tenth = step * 10 // max(self.steps, 1)
        if not self.tty and (tenth == self.last_tenth or step == 0):
            return
        self.last_tenth = tenth
        width = 30
        done = width * step // max(self.steps, 1)
        rate = step / max(time.monotonic() - self.start, 1e-9)
        line = (f"epoch {self.epoch + 1}/{self.epochs} [{'#' * done}{'.' * (width - done)}] {step}/{self.steps} "
                f"loss {loss:.4f} {rate:.1f} steps/s")
        sys.stderr.write(("\r" + line) if self.tty else line + "\n")
        if self.tty and step == self.steps:
            sys.stderr.write("\n")
        sys.stderr.flush()


def job_key(args, sidecar_list: List[str]) -> str:
    """What identifies one training job, so that a checkpoint is resumed only by the same
    job: the data files (names and sizes) and the options that shape the batches."""
    parts = [f"{p}:{os.path.getsize(p[:-5])}" if os.path.exists(p[:-5]) else p for p in sidecar_list]
    key = json.dumps([parts, args.epochs, args.steps, args.batch_size, args.seed, args.policy_target, args.loss, args.policy_weight, args.value_weight,
                      args.augment, args.val_fraction, args.fillout_mix, args.fillouts, sidecars(args.value_only)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def build_optimizer(net: TwoHeadedResNet, args) -> torch.optim.Optimizer:
    return torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay,
                           nesterov=True) if args.optimizer == "sgd" else \
        torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)


def checkpoint_dict(net, optimizer, epoch, trainer, train_metrics, val_metrics, best_val_loss):
    """The reference system's trainer checkpoint, with our resumption state beside it."""
    return {"model_state_dict": net.state_dict(), "epoch": epoch, "optimizer_state_dict": optimizer.state_dict(),
            "train_metrics": train_metrics, "val_metrics": val_metrics, "best_val_loss": best_val_loss,
            "mixed_precision": False, "hexgpu_trainer": trainer}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m hexgpu.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", nargs="*", help="training targets: .train.json files, their record files, or folders")
    p.add_argument("--checkpoint", required=True, help="trainer checkpoint .pt (resumed when it exists)")
    p.add_argument("--export", help="safetensors file written at the end (what hexgpu loads)")
    p.add_argument("--init", help="start from this model file instead of random weights")
    p.add_argument("--widths", type=parse_widths, default=parse_widths("32,32,32,64,64"),
                   help="C1,C2,C3,C4 or C0,...,C4 of a new network (default 32,32,32,64,64)")
    p.add_argument("--value-channels", type=int, default=32)
    p.add_argument("--value-hidden", type=int, default=256)
    p.add_argument("--board-size", type=int, help="for a new network without data (else from the data)")
    p.add_argument("--uniform", action="store_true", help="with --epochs 0: a network with uniform policy, value 0")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--steps", type=int, default=0,
                   help="train exactly N steps, as many epochs as that takes (the last one partial); overrides --epochs")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw")
    p.add_argument("--loss", choices=sorted(LOSSES), default="alphazero")
    p.add_argument("--policy-weight", type=float, help="the policy loss's weight instead of --loss's")
    p.add_argument("--value-weight", type=float, help="the value loss's weight instead of --loss's")
    p.add_argument("--policy-target", choices=POLICY_TARGETS,
                   help="visits (default), improved (Gumbel), move (the played move; --loss reference's default)")
    p.add_argument("--value-only", action="append", default=[], metavar="DATA",
                   help="more training targets whose rows train the value alone (repeatable): games of a "
                        "search whose policy is not worth learning, such as a random network's")
    p.add_argument("--fillout-mix", type=float, default=0.0,
                   help="value target: (1 - L) x the game's result + L x random fill-outs' value (default 0)")
    p.add_argument("--fillouts", type=int, default=32, help="random fill-outs per position for --fillout-mix (32)")
    p.add_argument("--no-augment", dest="augment", action="store_false", help="no 180-degree rotations")
    p.add_argument("--val-fraction", type=float, default=0.05, help="share of games held out (default 0.05)")
    p.add_argument("--save-every", type=int, default=200, help="checkpoint every N steps too (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--metrics", help="append one JSON line per epoch to this file")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.policy_target is None:
        args.policy_target = "move" if args.loss == "reference" else "visits"
    if args.epochs < 0 or args.steps < 0 or args.batch_size < 1 or args.save_every < 1 or not 0 <= args.val_fraction < 1:
        p.error("--epochs >= 0, --steps >= 0, --batch-size >= 1, --save-every >= 1, 0 <= --val-fraction < 1")
    if not 0 <= args.fillout_mix <= 1 or args.fillouts < 1:
        p.error("0 <= --fillout-mix <= 1, --fillouts >= 1")
    if (args.epochs > 0 or args.steps > 0) and not (args.data or args.value_only):
        p.error("training needs data (or --epochs 0 to write the initial network)")
    return args


def new_network(args, board_size: Optional[int]) -> TwoHeadedResNet:
    if board_size is None:
        raise UsageError("a new network needs --board-size (or data)")
    torch.manual_seed(args.seed)
    net = TwoHeadedResNet(board_size, args.widths, args.value_channels, args.value_hidden)
    if args.uniform:
        make_uniform(net)
    return net


def train(args) -> int:
    torch.set_num_threads(max(1, args.threads))
    examples = (read_examples(args.data, args.policy_target, args.fillout_mix, args.fillouts, args.value_only)
                if args.data or args.value_only else None)
    n = examples.board_size if examples is not None else args.board_size

    resumed = os.path.exists(args.checkpoint)
    optimizer_state = None
    trainer: Dict[str, object] = {}
    best_val_loss = math.inf
    if resumed or args.init:
        source = args.checkpoint if resumed else args.init
        state, full = load_state_dict(source)
        net = TwoHeadedResNet(**dims_from_state_dict(state))
        net.load_state_dict(state)
        if full is not None and "optimizer_state_dict" in full and full.get("hexgpu_trainer"):
            optimizer_state = full["optimizer_state_dict"]
            trainer = dict(full["hexgpu_trainer"]) if resumed else {}
            best_val_loss = full.get("best_val_loss", math.inf) if resumed else math.inf
        if n is not None and net.board_size != n:
            raise UsageError(f"{source}: a {net.board_size}x{net.board_size} network, the data is {n}x{n}")
    else:
        net = new_network(args, n)
    optimizer = build_optimizer(net, args)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
        for group in optimizer.param_groups:
            group["lr"], group["weight_decay"] = args.lr, args.weight_decay

    if examples is None:
        save_checkpoint(args.checkpoint, checkpoint_dict(net, optimizer, 0, {"done": True}, {}, {}, best_val_loss))
        if args.export:
            write_safetensors(net.state_dict(), args.export, {"board_size": str(net.board_size)})
        print(f"wrote a new {net.board_size}x{net.board_size} network ({sum(p.numel() for p in net.parameters())} "
              f"parameters) to {args.checkpoint}" + (f" and {args.export}" if args.export else ""))
        return 0

    key = job_key(args, sidecars(args.data + args.value_only))
    if trainer.get("job") != key:  # a new job on these weights (or the first): from its start
        trainer = {"job": key, "epoch": 0, "step": 0, "total_steps": int(trainer.get("total_steps", 0))}
    train_set, val_set = split_by_game(examples, args.val_fraction)
    weights = loss_weights(args.loss, args.policy_weight, args.value_weight)
    steps_per_epoch = max(1, len(train_set) // args.batch_size)
    epochs = -(-args.steps // steps_per_epoch) if args.steps else args.epochs

    def steps_in(epoch: int) -> int:
        return min(steps_per_epoch, args.steps - epoch * steps_per_epoch) if args.steps else steps_per_epoch

    print(f"{len(examples)} positions ({int(examples.has_policy.sum())} with a policy target) from "
          f"{len(np.unique(examples.game))} games, {n}x{n}; train {len(train_set)}, validation "
          f"{0 if val_set is None else len(val_set)}; {steps_per_epoch} steps an epoch of {args.batch_size}"
          + (f"; resuming epoch {trainer['epoch'] + 1} at step {trainer['step']}" if trainer["step"] or trainer["epoch"] else ""),
          flush=True)

    def save(epoch_done, train_metrics, val_metrics):
        save_checkpoint(args.checkpoint, checkpoint_dict(net, optimizer, epoch_done, trainer, train_metrics,
                                                         val_metrics, best_val_loss))

    net.train()
    while trainer["epoch"] < epochs:
        epoch = int(trainer["epoch"])
        rng = np.random.default_rng([args.seed, epoch])
        order = rng.permutation(len(train_set))
        flips = rng.random(len(train_set)) < 0.5 if args.augment else None
        progress = Progress(epoch, epochs, steps_in(epoch), args.quiet)
        sums = trainer.get("sums", [0.0, 0.0, 0.0, 0])
        started = time.monotonic()
        for step in range(int(trainer["step"]), steps_in(epoch)):
            rows = order[step * args.batch_size:(step + 1) * args.batch_size]
            planes, policy, has_policy, value = batch_tensors(
                train_set, rows, flips[step * args.batch_size:(step + 1) * args.batch_size] if flips is not None else None)
            total, p, v = losses(net, planes, policy, has_policy, value, weights)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            total, p, v = total.item(), p.item(), v.item()
            if not math.isfinite(total):
                raise UsageError(f"the loss is {total} at epoch {epoch + 1} step {step + 1}: lower --lr")
            sums = [sums[0] + total, sums[1] + p, sums[2] + v, sums[3] + 1]
            trainer.update(step=step + 1, sums=sums, total_steps=int(trainer["total_steps"]) + 1)
            progress.update(step + 1, sums[0] / sums[3])
            if (step + 1) % args.save_every == 0 and step + 1 < steps_in(epoch):
                save(epoch, {}, {})
        count = max(sums[3], 1)
        train_metrics = {"loss": sums[0] / count, "policy_loss": sums[1] / count, "value_loss": sums[2] / count}
        val_metrics = evaluate(net, val_set, weights, args.batch_size) if val_set is not None else {}
        if val_metrics:
            best_val_loss = min(best_val_loss, val_metrics["loss"])
        trainer.update(epoch=epoch + 1, step=0, sums=[0.0, 0.0, 0.0, 0])
        save(epoch + 1, train_metrics, val_metrics)
        line = {"epoch": epoch + 1, "train": train_metrics, "validation": val_metrics,
                "seconds": round(time.monotonic() - started, 1), "total_steps": trainer["total_steps"]}
        print(f"epoch {epoch + 1}/{epochs}: loss {train_metrics['loss']:.4f} (policy "
              f"{train_metrics['policy_loss']:.4f}, value {train_metrics['value_loss']:.4f})"
              + (f", validation {val_metrics['loss']:.4f} (policy {val_metrics['policy_loss']:.4f}, value "
                 f"{val_metrics['value_loss']:.4f})" if val_metrics else ""), flush=True)
        if args.metrics:
            with open(args.metrics, "a") as f:
                f.write(json.dumps(line) + "\n")
    if args.export:
        net.eval()
        write_safetensors(net.state_dict(), args.export, {"board_size": str(n)})
        print(f"wrote {args.export}")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return train(args)
    except (UsageError, ValueError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except (FileNotFoundError, IsADirectoryError) as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    except OSError as e:
        sys.stderr.write(f"error: {e}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"error: interrupted; {args.checkpoint} holds the last saved step\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
