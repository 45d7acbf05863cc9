#!/usr/bin/env python3
"""Writes a synthetic catalog of N products in the default schema, for benchmarks.

usage: gen-catalog.py N > catalog.csv   (deterministic: the same N gives the same file)
"""
import random
import sys

CATEGORIES = ["Running", "Trail", "Training", "Lifestyle", "Kids"]
FLAGS = ["in_stock", "low_stock", "out_of_stock", "discontinued", "pre_order"]


def main() -> None:
    n = int(sys.argv[1])
    rng = random.Random(42)
    out = sys.stdout
    out.write("SKU,Name,Category,Base Price,Promo Price,Promo Active,Inventory,Image URL\n")
    for i in range(1, n + 1):
        base = rng.randint(2000, 25000) / 100
        promo = rng.random() < 0.3
        promo_price = f"{base * 0.9:.2f}" if promo else ""
        out.write(
            f"BIG-{i:07d},Model {i},{CATEGORIES[i % 5]},{base:.2f},{promo_price},"
            f"{'TRUE' if promo else 'FALSE'},{FLAGS[rng.randrange(5)]},https://cdn.example/img/{i}.jpg\n"
        )


if __name__ == "__main__":
    main()
