#!/usr/bin/python3
"""The JSON Schemas and `sandrun check` agree (issue 23).

usage: schema_agree.py SANDRUN CATALOGUE ROOT

Every valid spec of the repository (the bundled harnesses, `sandrun new`'s
kinds when NEWDIR is given as $SCHEMA_NEW_DIR, the test fixtures) must be
accepted by both a real validator (python3-jsonschema, Draft 2020-12) and
`sandrun check`; every spec of tests/integration/bad-specs must be refused
by both, except the ones only check can refuse (CHECK_ONLY: cross-field
rules, the catalogue, the file system, YAML itself). The same for
catalogues: the repository's images.toml files and tests/integration/bad-toml.
YAML is read with python3-yaml, TOML with tomllib (3.11): both
independent of sandrun. Prints the counts; exit 1 on any disagreement.
"""
import glob
import json
import os
import subprocess
import sys
import tomllib

import jsonschema
import yaml

# Refused by check for reasons a schema cannot express (README lists them).
CHECK_ONLY = {
    "unknown-toolchain.yaml",  # the catalogue's ids
    "workdir-escape.yaml",  # a path must resolve inside the spec's tree
    "duplicate-key.yaml",  # YAML loaders keep the last duplicate
    "yaml-syntax.yaml",  # not YAML at all: no instance to validate (counted as refused by both)
}
CHECK_ONLY_TOML = {
    "duplicate-id.toml",  # uniqueness of a field across array items
}


def load_yaml(path):
    with open(path, "rb") as f:
        return yaml.safe_load(f)


def jsonable(v):
    """YAML 1.1 scalars python3-yaml types (dates) as the strings check sees."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def schema_ok(validator, load, path):
    try:
        inst = jsonable(load(path))
    except Exception as e:  # not YAML/TOML: refused
        return False, "parse: %s" % e
    errs = sorted(validator.iter_errors(inst), key=lambda e: e.path)
    return (not errs), ("; ".join(e.message for e in errs[:2]) if errs else "")


def check_ok(sandrun, cat, args):
    r = subprocess.run([sandrun, "--catalogue", cat] + args, capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()[:200]


def main():
    sandrun, cat, root = sys.argv[1:4]
    schema_dir = os.path.join(root, "schema")
    sv = jsonschema.Draft202012Validator(json.load(open(os.path.join(schema_dir, "harness.schema.json"))))
    cv = jsonschema.Draft202012Validator(json.load(open(os.path.join(schema_dir, "images.schema.json"))))
    jsonschema.Draft202012Validator.check_schema(sv.schema)
    jsonschema.Draft202012Validator.check_schema(cv.schema)
    valid = sorted(glob.glob(os.path.join(root, "harnesses/*/harness.yaml")))
    valid += sorted(glob.glob(os.path.join(root, "tests/integration/fixtures/**/*.yaml"), recursive=True))
    if os.environ.get("SCHEMA_NEW_DIR"):
        valid += sorted(glob.glob(os.path.join(os.environ["SCHEMA_NEW_DIR"], "*/harness.yaml")))
    invalid = sorted(glob.glob(os.path.join(root, "tests/integration/bad-specs/*.yaml")))
    cats = [os.path.join(root, "images.toml"), os.path.join(root, "ci/local/images.toml")]
    bad_cats = sorted(glob.glob(os.path.join(root, "tests/integration/bad-toml/*.toml")))
    bad = 0
    n = {"valid": 0, "invalid": 0, "check-only": 0, "cat-valid": 0, "cat-invalid": 0}

    def toml_load(p):
        with open(p, "rb") as f:
            return tomllib.load(f)

    for p in valid:
        s, why = schema_ok(sv, load_yaml, p)
        c, cwhy = check_ok(sandrun, cat, ["check", p])
        n["valid"] += 1
        if not (s and c):
            bad += 1
            print("DISAGREE valid %s: schema %s (%s), check %s (%s)" % (p, s, why, c, cwhy))
    for p in invalid:
        s, why = schema_ok(sv, load_yaml, p)
        c, cwhy = check_ok(sandrun, cat, ["check", p])
        name = os.path.basename(p)
        if name in CHECK_ONLY:
            n["check-only"] += 1
            if c:
                bad += 1
                print("DISAGREE %s: check accepts it" % p)
            continue
        n["invalid"] += 1
        if s or c:
            bad += 1
            print("DISAGREE invalid %s: schema accepts=%s, check accepts=%s" % (p, s, c))
    for p in cats:
        s, why = schema_ok(cv, toml_load, p)
        c, cwhy = check_ok(sandrun, p, ["list"])
        n["cat-valid"] += 1
        if not (s and c):
            bad += 1
            print("DISAGREE valid catalogue %s: schema %s (%s), check %s (%s)" % (p, s, why, c, cwhy))
    for p in bad_cats:
        s, why = schema_ok(cv, toml_load, p)
        c, cwhy = check_ok(sandrun, p, ["list"])
        if os.path.basename(p) in CHECK_ONLY_TOML:
            n["check-only"] += 1
            bad += 1 if c else 0
            continue
        n["cat-invalid"] += 1
        if s or c:
            bad += 1
            print("DISAGREE invalid catalogue %s: schema accepts=%s, list accepts=%s" % (p, s, c))
    print("schema: %d valid specs accepted by both, %d invalid refused by both, "
          "%d valid and %d invalid catalogues, %d refused by check only; %d disagreement(s)"
          % (n["valid"], n["invalid"], n["cat-valid"], n["cat-invalid"], n["check-only"], bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
