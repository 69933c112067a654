#!/usr/bin/env bash
# Audit the pinned requirements against the PyPI advisory database with pip-audit.
# Fails on any known vulnerability not accepted in .ci/audit-ignore. If the advisory service
# cannot be reached (no network), says so loudly and exits 0: nothing could be checked, so
# nothing is claimed.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pip install --quiet -r requirements-audit.txt
ignores=()
while read -r id _; do
  [[ -z "$id" || "$id" == \#* ]] || ignores+=(--ignore-vuln "$id")
done < .ci/audit-ignore
report=$(mktemp)
status=0
for file in requirements.txt requirements-dev.txt; do
  .venv/bin/pip-audit -r "$file" --no-deps --disable-pip --progress-spinner off \
    --format json "${ignores[@]}" >"$report" 2>/dev/null || status=$?
  .venv/bin/python - "$report" "$file" <<'PY' || status=1
import json, sys
report, name = json.load(open(sys.argv[1])), sys.argv[2]
deps = report.get("dependencies", [])
vulnerable = [d for d in deps if d.get("vulns")]
skipped = [d for d in deps if d.get("skip_reason")]
for d in vulnerable:
    for v in d["vulns"]:
        print(f"VULNERABLE {d['name']}=={d['version']}: {v['id']} fixed in {', '.join(v.get('fix_versions') or ['?'])}")
audited = len(deps) - len(skipped)
print(f"{name}: {audited} of {len(deps)} packages audited, {len(vulnerable)} vulnerable")
if skipped and not audited:
    print(f"WARNING: the advisory service was unreachable; {name} was NOT audited.")
sys.exit(1 if vulnerable else 0)
PY
done
rm -f "$report"
exit $status
