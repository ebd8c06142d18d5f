"""Reproduce the published results: every study under experiments/, quick by default.

    python experiments/run_all.py [--full] [--out results]

Each study writes PNG figures, metrics.json and summary.md to <out>/<study>/; this script
concatenates the summaries into <out>/SUMMARY.md (measured vs published figures).
"""

import argparse
import os
import subprocess
import sys


STUDIES = ["zno_neuron"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="full sizes (default: quick)")
    ap.add_argument("--out", default="results")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    parts = []
    for study in STUDIES:
        out = os.path.join(args.out, study)
        cmd = [sys.executable, os.path.join(here, study, "run.py"), "--out", out] + ([] if args.full else ["--quick"])
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        with open(os.path.join(out, "summary.md")) as fh:
            parts.append(fh.read())
    with open(os.path.join(args.out, "SUMMARY.md"), "w") as fh:
        fh.write("\n".join(parts))
    print(f"wrote {os.path.join(args.out, 'SUMMARY.md')}")


if __name__ == "__main__":
    main()
