#!/usr/bin/env python3
"""Check that benchmark CSV files are valid and mean what they say.

    check-csv.py FILE.csv...            files already written
    check-csv.py --run OUTDIR CMD...    run a benchmark writing into OUTDIR,
                                        then check every CSV it wrote

Each file: the common header (its first eight columns; then xcore_ns for
the C benchmarks, or the scripts' own measures, CPU per I/O or per packet,
each a number), as many fields on every row (a workload name with a comma
is quoted, so it stays one field), numbers where numbers belong,
ratio > 0, and every row's ratio consistent with its two values.  With
--run, the run's SVG plot must exist too and name every row.
Ends with "csv: N passed, N failed".
"""
import csv
import glob
import os
import subprocess
import sys

COMMON = ["section", "workload", "metric", "splitdrv", "peer", "peer_value",
          "ratio", "lower_is_better"]
passed = failed = 0


def fail(msg):
    global failed
    failed += 1
    print(f"FAIL: {msg}")


def check(path, svg=None):
    global passed
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:len(COMMON)] != COMMON or len(rows[0]) <= len(COMMON):
        return fail(f"{path}: header {rows[:1]} does not start {COMMON} and go on")
    header = rows[0]
    if len(rows) < 2:
        return fail(f"{path}: no rows")
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            return fail(f"{path}:{n}: {len(row)} fields, not {len(header)}: {row}")
        try:
            ours, theirs, ratio = float(row[3]), float(row[5]), float(row[6])
            lower = int(row[7])
            for extra in row[len(COMMON):]:
                float(extra)
        except ValueError as e:
            return fail(f"{path}:{n}: not a number where one belongs ({e}): {row}")
        if ratio <= 0 or ours <= 0 or theirs <= 0 or lower not in (0, 1):
            return fail(f"{path}:{n}: values out of range: {row}")
        if not row[0] or not row[1] or not row[4]:
            return fail(f"{path}:{n}: an empty name: {row}")
    if svg is not None:
        if not os.path.exists(svg):
            return fail(f"{svg}: no plot written")
        with open(svg) as f:
            text = f.read()
        for row in rows[1:]:
            if row[1] not in text:
                return fail(f"{svg}: no label for row '{row[0]} {row[1]}'")
    passed += 1
    print(f"ok: {path}: {len(rows) - 1} rows")


args = sys.argv[1:]
if args and args[0] == "--run":
    out, cmd = args[1], args[2:]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        fail(f"{' '.join(cmd)}: exit {r.returncode}:\n{r.stdout[-3000:]}")
    else:
        written = sorted(glob.glob(os.path.join(out, "*.csv")))
        if not written:
            fail(f"{' '.join(cmd)}: wrote no CSV in {out}")
        if "row 1/" not in r.stdout and "\n1 " not in r.stdout:
            fail(f"{' '.join(cmd)}: no progress shown")
        for path in written:
            check(path, path[:-4] + ".svg")
else:
    for path in args:
        check(path)
print(f"csv: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
