"""Making styles: the VGG16 loss network, the perceptual losses, data, training, and
the Gatys optimisation baseline. Needs torch (the ``train`` extra)."""
