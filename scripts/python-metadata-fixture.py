"""Writes test/fixtures/python-metadata/real-world.json: real Requires-Dist lines (read from the
METADATA of wheels given on the command line) with pip's own reading of them, by Python's
`packaging`, so that test/unit/python-metadata.test.ts holds our PEP 440 / PEP 508 code to it.

    .tools/venv/bin/uv run --no-project --with packaging==26.4 \
        scripts/python-metadata-fixture.py path/to/*.whl
"""
import json
import re
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import packaging
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

RUNTIMES = [f"3.{minor}" for minor in range(9, 15)]
MACHINES = ["x86_64", "aarch64"]


def requires_dist(wheels):
    lines = set()
    for wheel in wheels:
        try:
            with zipfile.ZipFile(wheel) as zf:
                for name in zf.namelist():
                    if name.count("/") == 1 and name.endswith(".dist-info/METADATA"):
                        text = zf.read(name).decode("utf-8", "replace")
                        headers = Parser().parsestr(text, headersonly=True)
                        lines.update(headers.get_all("Requires-Dist") or [])
        except (zipfile.BadZipFile, OSError):
            continue
    return sorted(lines)


def environment(python, machine, extra):
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": "posix",
        "platform_machine": machine,
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "sys_platform": "linux",
        "extra": extra,
    }


def main():
    lines = requires_dist(sys.argv[1:])
    requirements, seen_markers = [], set()
    for line in lines:
        req = Requirement(line)
        marker = str(req.marker) if req.marker else ""
        # One line per distinct marker, plus every line without one (their specifiers).
        if marker and marker in seen_markers:
            continue
        seen_markers.add(marker)
        extras = sorted({canonicalize_name(x) for x in re.findall(r"extra\s*==\s*['\"]([^'\"]+)", line)})
        # T/F per (runtime, machine, extra) in that nesting order, extra "" first.
        truth = "".join(
            "T" if (req.marker is None or req.marker.evaluate(environment(p, m, e))) else "F"
            for p in RUNTIMES
            for m in MACHINES
            for e in [""] + extras
        )
        requirements.append(
            {
                "line": line,
                "name": canonicalize_name(req.name),
                "extras": sorted(canonicalize_name(x) for x in req.extras),
                "specifiers": sorted(str(s) for s in req.specifier),
                "markerExtras": extras,
                "truth": truth,
            }
        )
    contains = []
    for spec in sorted({",".join(r["specifiers"]) for r in requirements if r["specifiers"]}):
        # Around each version the set names: itself, its post, pre, dev, next patch, local.
        candidates = []
        for clause in SpecifierSet(spec):
            try:
                v = Version(clause.version.removesuffix(".*"))
            except InvalidVersion:
                continue
            base = ".".join(str(p) for p in v.release)
            candidates += [str(v), f"{base}.post1", f"{base}rc1", f"{base}.dev0", f"{base}.1", f"{base}+local"]
        truth = "".join("T" if SpecifierSet(spec).contains(c, prereleases=True) else "F" for c in candidates)
        contains.append([spec, candidates, truth])
    out = {
        "generatedWith": f"packaging {packaging.__version__}",
        "runtimes": RUNTIMES,
        "machines": MACHINES,
        "requirements": requirements,
        "contains": contains,
    }
    path = Path(__file__).parent.parent / "test" / "fixtures" / "python-metadata" / "real-world.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=0, separators=(",", ":")) + "\n")
    print(f"{path}: {len(requirements)} requirements, {len(contains)} specifier sets")


main()
