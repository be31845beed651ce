#!/usr/bin/env python3
"""Writes the two small synthetic CSV data sets shipped beside the digits (seeded, so the files
are reproducible): blobs.csv (4 Gaussian clusters in 12 dimensions, a header, label last) and
rings.csv (3 noisy concentric rings in 2-D plus 2 noise features, label in the first column,
named `ring`): a linear and a non-linear problem for `pimforge train --data`."""
import math
import random

def blobs(path, seed=1):
    rng = random.Random(seed)
    centres = [[rng.uniform(-3, 3) for _ in range(12)] for _ in range(4)]
    with open(path, "w") as f:
        f.write(",".join(f"f{i}" for i in range(12)) + ",class\n")
        for n in range(600):
            c = n % 4
            x = [m + rng.gauss(0, 2.6) for m in centres[c]]
            f.write(",".join(f"{v:.4f}" for v in x) + f",{c}\n")

def rings(path, seed=2):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("ring,x,y,noise1,noise2\n")
        for n in range(900):
            c = n % 3
            r = 1.0 + c + rng.gauss(0, 0.25)
            t = rng.uniform(0, 2 * math.pi)
            f.write(f"{c},{r * math.cos(t):.4f},{r * math.sin(t):.4f},"
                    f"{rng.uniform(-1, 1):.4f},{rng.uniform(-1, 1):.4f}\n")

if __name__ == "__main__":
    blobs("blobs.csv")
    rings("rings.csv")
