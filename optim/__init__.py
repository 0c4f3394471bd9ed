"""Neuron-excitation optimizer: strokes, a differentiable renderer, objectives.

Knows nothing of plotters, vpype or terminals; long jobs report through callbacks.
"""
