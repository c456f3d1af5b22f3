"""Growing a trained net (`stylecam train --resume ... --grow-blocks N`): same output, more capacity."""

import pytest

torch = pytest.importorskip("torch")

from stylecam.models.nets.registry import create_model, list_models  # noqa: E402
from stylecam.training.grow import add_residual_blocks, remap_optimizer_state  # noqa: E402


@pytest.mark.parametrize("name", list_models())
def test_grown_net_computes_the_same_and_can_learn(name):
    torch.manual_seed(0)
    net = create_model(name).eval()
    with torch.no_grad():  # a net that has been trained: no parameter at its initial value
        for p in net.parameters():
            p.add_(0.05 * torch.randn_like(p))
    grown = add_residual_blocks(net, name, 2).eval()
    assert grown.config["blocks"] == net.config["blocks"] + 2 == len(grown.res)
    x = torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        assert torch.equal(net(x), grown(x))
    grown.train()
    grown(x).square().mean().backward()
    new_norm = grown.res[-1].body[-1]
    assert new_norm.weight.grad.abs().sum() > 0  # the new blocks are not dead


def test_adam_state_follows_each_parameter_by_name():
    net = create_model("nano")
    grown = add_residual_blocks(net, "nano", 1)
    old_names = [n for n, _ in net.named_parameters()]
    new_names = [n for n, _ in grown.named_parameters()]
    flat = {f"{i}.exp_avg": torch.full((1,), float(i)) for i in range(len(old_names))}
    moved = remap_optimizer_state(net, grown, flat)
    for key, value in moved.items():
        assert new_names[int(key.split(".")[0])] == old_names[int(value.item())]
    assert len(moved) == len(old_names)


def test_growing_needs_at_least_one_block():
    with pytest.raises(ValueError, match="at least 1"):
        add_residual_blocks(create_model("nano"), "nano", 0)
