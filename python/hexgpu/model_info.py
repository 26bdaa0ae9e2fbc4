"""ModelInfo: what SimpleModelInference.model is. The reference system's .model is its
PyTorch wrapper; here there is no PyTorch module to hand out, so it describes the loaded
network and where it runs instead."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple, Union

from .engine import Engine


@dataclass(frozen=True)
class ModelInfo:
    """The network a SimpleModelInference runs.

    - checkpoint_path, format ('safetensors', 'pt (zip)', 'pt.gz'), trainer_checkpoint
      (the weights came from a trainer's 'model_state_dict'), arch (the safetensors
      metadata's, '' when absent), tensors (in the file).
    - board_size n; widths (C0 of the input convolution, then C1..C4 of the four stages);
      stages (4) and blocks (8 residual blocks, 2 per stage); value_channels and
      value_hidden (the value head's V and H); parameter_count (as PyTorch counts the
      parameters of the unfolded model: batch-norm running statistics left out); macs
      (one board's multiply-adds).
    - backend ('cpu' or 'cuda'), precision ('fp32' or 'fp16'), devices (the ordinals),
      max_batch (the engine's largest batch).
    """
    checkpoint_path: Union[str, bytes]
    format: str
    trainer_checkpoint: bool
    arch: str
    tensors: int
    board_size: int
    widths: Tuple[int, int, int, int, int]
    stages: int
    blocks: int
    value_channels: int
    value_hidden: int
    parameter_count: int
    macs: int
    backend: str
    precision: str
    devices: Tuple[int, ...]
    max_batch: int

    @classmethod
    def of(cls, engine: Engine) -> "ModelInfo":
        """The description of engine's model file and of how the engine runs it."""
        info = engine.model_info()
        return cls(checkpoint_path=engine.model_path, format=info["format"],
                   trainer_checkpoint=info["trainer_checkpoint"], arch=info["arch"], tensors=info["tensors"],
                   board_size=info["board_size"], widths=tuple(info["widths"]), stages=info["stages"],
                   blocks=info["blocks"], value_channels=info["value_channels"], value_hidden=info["value_hidden"],
                   parameter_count=info["parameter_count"], macs=info["macs"], backend=engine.backend,
                   precision=engine.precision, devices=tuple(engine.devices), max_batch=engine.max_batch)

    def get_device(self) -> str:
        """Where the network runs, as the reference's wrapper names it: 'cpu' or 'cuda:N'
        (several devices: 'cuda:N,M')."""
        if self.backend != "cuda":
            return self.backend
        return "cuda:" + ",".join(str(d) for d in self.devices)

    def __str__(self) -> str:
        return (f"{self.board_size}x{self.board_size} ResNet, widths {'-'.join(str(w) for w in self.widths)}, "
                f"{self.blocks} residual blocks, value head {self.value_channels}->{self.value_hidden}, "
                f"{self.parameter_count:,} parameters; {self.get_device()} {self.precision}")
