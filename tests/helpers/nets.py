"""Small torch stand-ins for the tests of the losses and optimisers (import only where torch is)."""

import torch


class TinyVGG(torch.nn.Module):
    """Two random conv layers standing in for VGG's feature layers: the arithmetic and
    plumbing around them are under test (tests/test_vgg.py checks the real network)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.b = torch.nn.Conv2d(4, 8, 3, padding=1, stride=2)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        a = torch.relu(self.a(x))
        return {"relu1_2": a, "relu2_2": torch.relu(self.b(a))}
