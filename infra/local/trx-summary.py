#!/usr/bin/env python3
"""Sums the TRX result files of a test run and prints one closing line: 'tests: N passed, N failed, N skipped'.

Failed tests are listed above that line with the head of their message: CI keeps only the tail of the log, and a red
run that does not say which test failed cannot be acted on.

Exits non-zero when a test failed or when no test ran at all, so an empty run can never look green.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def main(results_dir: str) -> int:
    passed = failed = skipped = 0
    failures = []
    files = glob.glob(os.path.join(results_dir, "**", "*.trx"), recursive=True)
    for path in files:
        counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", NS)
        if counters is None:
            continue
        passed += int(counters.get("passed", 0))
        failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
        skipped += int(counters.get("notExecuted", 0)) + int(counters.get("inconclusive", 0))
        failures.extend(failed_tests(path))
    for name, message in failures:
        print(f"FAILED {name}")
        for line in message.strip().splitlines()[:6]:
            print(f"    {line[:300]}")
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    if not files or passed + failed == 0:
        print("no test results found", file=sys.stderr)
        return 1
    return 1 if failed else 0


def failed_tests(path: str):
    root = ET.parse(path).getroot()
    for result in root.iterfind("t:Results/t:UnitTestResult", NS):
        if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
            continue
        message = result.find("t:Output/t:ErrorInfo/t:Message", NS)
        yield result.get("testName", "?"), message.text if message is not None and message.text else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
