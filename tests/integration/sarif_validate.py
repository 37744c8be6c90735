#!/usr/bin/env python3
"""Validate SARIF logs against tests/data/sarif-2.1.0-subset.schema.json.

Usage: sarif_validate.py LOG.sarif...  Exit 0 when every log is valid, 1 with
the first error of each invalid log on stderr, 2 when jsonschema is missing.
"""
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("sarif_validate: python3-jsonschema is not installed (ci/setup.sh)", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "data", "sarif-2.1.0-subset.schema.json")


def main(paths):
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for p in paths:
        with open(p, encoding="utf-8") as f:
            log = json.load(f)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(x) for x in e.absolute_path)
            print(f"{p}: {where}: {e.message}", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
