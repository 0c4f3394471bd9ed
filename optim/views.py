"""Named families of views, torch-free: the command lines read them at start."""

from __future__ import annotations

# Named families of views: the Augment fields each sets (options given by name still win).
# lucent: pad 12, jitter 8, scale 0.9-1.1, rotate +-10 degrees, jitter 4 (its standard
# transforms; the two jitters add up to one of 12).
VIEWS: dict[str, dict[str, object]] = {
    "perspective": {
        "perspective": 0.5,
        "crop_scale": (0.7, 0.9),
        "jitter": 8,
        "pad": 0,
        "scale": (1.0, 1.0),
        "rotate": 0.0,
    },
    "lucent": {
        "perspective": 0.0,
        "crop_scale": (1.0, 1.0),
        "jitter": 12,
        "pad": 12,
        "scale": (0.9, 1.1),
        "rotate": 10.0,
    },
}
