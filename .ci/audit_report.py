"""Say what pip-audit found in the locked versions (.ci/run): each vulnerable package
with the versions that fix it, how many packages were audited, and, when PyPI's
vulnerability data could not be read at all, that nothing was audited.

    python .ci/audit_report.py REPORT.json EXIT_STATUS
"""

import json
import sys


def main(path: str, status: int) -> None:
    try:
        with open(path) as report:
            dependencies = json.load(report)["dependencies"]
    except (OSError, ValueError, KeyError):
        print(f"pip-audit: did not run (exit status {status})")
        return
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    audited = len(dependencies) - len(skipped)
    print(
        f"pip-audit: {audited} of {len(dependencies)} locked packages audited, "
        f"{len(vulnerable)} vulnerable"
    )
    if skipped:
        print(f"pip-audit: not audited, e.g. {skipped[0]['skip_reason']}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
