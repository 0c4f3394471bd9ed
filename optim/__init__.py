"""Neuron-excitation optimizer: strokes, a differentiable renderer, objectives.

Knows nothing of plotters, vpype or terminals; long jobs report through callbacks.
"""

from optim.threads import share_cores

share_cores()  # before any optim module loads torch and its OpenMP runtime: see optim.threads
