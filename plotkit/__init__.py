"""plotkit: everything about paper, from optimized strokes to an AxiDraw."""
