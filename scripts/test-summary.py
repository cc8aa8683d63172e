#!/usr/bin/env python3
"""Print one closing line for the test runs whose meson testlog.json files
are given: "tests: N passed, N failed, N skipped" (criterion cases counted
one by one where the program reports them)."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
passed = failed = skipped = 0
PLAIN = re.compile(r"^\w+: (\d+) passed, (\d+) failed$")
for path in sys.argv[1:]:
    with open(path) as f:
        if not path.endswith(".json"):  # a script's own closing line
            for line in f:
                m = PLAIN.match(line.strip())
                if m:
                    passed += int(m.group(1))
                    failed += int(m.group(2))
            continue
        for line in f:
            t = json.loads(line)
            m = SYNTH.search(t.get("stdout", "") + t.get("stderr", ""))
            if t["result"] == "SKIP":
                skipped += 1
            elif m:  # a criterion program: count its cases
                tested, ok, fail, crash = map(int, m.groups())
                passed += ok
                failed += fail + crash
                skipped += max(0, tested - ok - fail - crash)
                if t["result"] != "OK" and fail + crash == 0:
                    failed += 1  # the program itself failed (timeout, sanitizer)
            elif t["result"] == "OK":
                passed += 1
            else:
                failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
