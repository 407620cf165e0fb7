"""Side-by-side Markdown table of results.json files: `python -m bench.report A.json [B.json ...]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    runs = [json.loads(Path(p).read_text()) for p in sys.argv[1:]]
    names: list[str] = []
    units: dict[str, str] = {}
    for run in runs:
        for r in run["results"]:
            if r["name"] not in units:
                names.append(r["name"])
                units[r["name"]] = r["unit"]
    values = [{r["name"]: r["value"] for r in run["results"]} for run in runs]
    heads = [Path(p).stem for p in sys.argv[1:]]
    print("| figure | unit | " + " | ".join(heads) + " |")
    print("|---|---|" + "---:|" * len(heads))
    for n in names:
        cells = [str(v.get(n, "—")) for v in values]
        print(f"| {n} | {units[n]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
