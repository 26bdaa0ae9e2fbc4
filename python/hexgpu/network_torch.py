"""The reference system's TwoHeadedResNet in PyTorch (docs/training.md), with its state-dict
layout, so that what we train loads in the reference's own code and in hexgpu.

Needs PyTorch (`pip install hexgpu[train]`); `import hexgpu` does not import this module.

Layout (the reference's, read back from the shapes by hexgpu's loader): input_conv 5x5
3->C0 + input_bn; layer1..layer4 of two BasicBlocks with widths C1..C4, the first block of
layers 2-4 with stride 2; a policy head Linear(C4, n*n) on the global average; a value head
conv 1x1 C4->V + BN + ReLU, spatial mean, Linear(V, H), ReLU, Dropout, Linear(H, 1), tanh.
The value is Red's view: P(Red wins) = (v + 1) / 2.
"""
from typing import Dict, Sequence, Tuple

import torch
from torch import nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = nn.Sequential()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class TwoHeadedResNet(nn.Module):
    """widths: (C0, C1, C2, C3, C4): the stem and the four stages (the reference's full size
    is 64, 64, 128, 256, 512). value_channels V and value_hidden H: the value head's sizes."""

    def __init__(self, board_size: int = 13, widths: Sequence[int] = (64, 64, 128, 256, 512),
                 value_channels: int = 32, value_hidden: int = 256, dropout: float = 0.0):
        super().__init__()
        if len(widths) != 5 or min(widths) < 1:
            raise ValueError(f"widths {tuple(widths)}: expected five positive widths C0..C4")
        if not 1 <= board_size <= 19:
            raise ValueError(f"board size {board_size} is outside 1..19")
        self.board_size = board_size
        self.widths = tuple(int(w) for w in widths)
        self.value_channels, self.value_hidden = value_channels, value_hidden
        self.input_conv = nn.Conv2d(3, widths[0], 5, 1, 2, bias=False)
        self.input_bn = nn.BatchNorm2d(widths[0])
        for stage in range(4):
            inputs, outputs, stride = widths[stage], widths[stage + 1], 1 if stage == 0 else 2
            setattr(self, f"layer{stage + 1}", nn.Sequential(BasicBlock(inputs, outputs, stride),
                                                             BasicBlock(outputs, outputs, 1)))
        self.policy_head = nn.Linear(widths[4], board_size * board_size)
        self.value_pre = nn.Sequential(nn.Conv2d(widths[4], value_channels, 1, bias=False),
                                       nn.BatchNorm2d(value_channels), nn.ReLU())
        # Index 3 is the last Linear in the reference's keys (value_head.3.*): 2 is a Dropout.
        self.value_head = nn.Sequential(nn.Linear(value_channels, value_hidden), nn.ReLU(), nn.Dropout(dropout),
                                        nn.Linear(value_hidden, 1))

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """x: float [B, 3, n, n] (Blue stones, Red stones, side to move). Returns the raw
        policy logits [B, n*n] and the value [B, 1] in [-1, 1], Red's view."""
        y = F.relu(self.input_bn(self.input_conv(x)))
        y = self.layer4(self.layer3(self.layer2(self.layer1(y))))
        policy = self.policy_head(y.mean(dim=(2, 3)))
        value = self.value_pre(y).mean(dim=(2, 3))
        value = torch.tanh(self.value_head(value))
        return policy, value

    def config(self) -> Dict[str, object]:
        """The constructor's arguments (kept in our checkpoints)."""
        return {"board_size": self.board_size, "widths": list(self.widths),
                "value_channels": self.value_channels, "value_hidden": self.value_hidden}


def dims_from_state_dict(state: Dict[str, torch.Tensor]) -> Dict[str, object]:
    """The constructor's arguments read from a reference state dict's shapes (as hexgpu's
    loader does): n*n = rows of policy_head.weight, the widths from the convolutions."""
    try:
        cells = state["policy_head.weight"].shape[0]
        n = int(round(cells ** 0.5))
        if n * n != cells:
            raise ValueError(f"policy_head.weight has {cells} rows, not a square board")
        widths = [state["input_conv.weight"].shape[0]] + [state[f"layer{s}.0.conv1.weight"].shape[0]
                                                           for s in range(1, 5)]
        return {"board_size": n, "widths": [int(w) for w in widths],
                "value_channels": int(state["value_pre.0.weight"].shape[0]),
                "value_hidden": int(state["value_head.0.weight"].shape[0])}
    except KeyError as e:
        raise ValueError(f"not a TwoHeadedResNet state dict: no {e.args[0]}") from e


def network_from_state_dict(state: Dict[str, torch.Tensor]) -> TwoHeadedResNet:
    net = TwoHeadedResNet(**dims_from_state_dict(state))
    net.load_state_dict(state)
    return net


def rotate180(planes: torch.Tensor) -> torch.Tensor:
    """Hex's 180-degree symmetry, (r, c) -> (n-1-r, n-1-c), on [..., n, n] planes. It maps
    each side's edges to themselves (row 0 <-> row n-1, column 0 <-> column n-1) and the
    neighbour relation to itself, so the side to move, the winner and the value are kept."""
    return torch.flip(planes, dims=(-2, -1))


def rotate180_cells(policy: torch.Tensor) -> torch.Tensor:
    """The same rotation on flat row-major cell vectors [..., n*n]: cell k -> n*n-1-k."""
    return torch.flip(policy, dims=(-1,))
