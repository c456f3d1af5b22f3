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
    assert grown.config["blocks"] == net.config["blocks"] + 2 == len(grown.residual_blocks)
    x = torch.rand(1, 3, 48, 64)
    with torch.no_grad():
        assert torch.equal(net(x), grown(x))
    zeroed = [p for p in grown.residual_blocks[-1].parameters() if not p.any()]
    assert zeroed  # the new block starts as the identity by a zeroed scale ...
    grown.train()
    grown(x).square().mean().backward()
    # ... that learns: the new blocks are not dead (a zeroed bias may get none: a constant
    # shift per channel is what the decoder's next instance norm removes)
    assert any(p.grad.abs().sum() > 0 for p in zeroed)


def test_growing_refuses_another_net_or_fewer_blocks():
    with pytest.raises(ValueError, match="cannot grow"):
        create_model("nano", blocks=6).grow_from(create_model("lite"))
    with pytest.raises(ValueError, match="not more than"):
        create_model("nano", blocks=4).grow_from(create_model("nano", blocks=4))


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
