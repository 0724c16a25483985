#!/usr/bin/env python3
"""Run the W3C Web Annotation test assertions on an exported collection.

The W3C's web-annotation-tests repository encodes the Web Annotation Data
Model's requirements as JSON Schema (draft-04) "assertions", listed by
`.test` files. This script runs every assertion that
`annotations/annotationMusts.test` lists against every annotation of an
AnnotationCollection (as `annot export --format w3c` prints it), and, when
the checkout has them, `collections/collectionMusts.test` and
`collections/pages/pageMusts.test` against the collection itself. It
prints, for each assertion, how many annotations passed and failed, and
exits with 1 if any `must` assertion that expects `valid` failed.

    annot export --format w3c > /tmp/export.json
    python3 scripts/w3c-assertions.py /tmp/wat/annotations /tmp/export.json

ANNOTATIONS_DIR is the `annotations/` folder of a checkout (or `git
archive`) of web-annotation-tests; its `definitions/` folder is looked for
beside it (or give --definitions). Every `$ref` is resolved from those
local files: nothing is fetched. The formats `uri` and `date-time` are
checked (by this script's own rules: an absolute IRI, and RFC 3339).

Needs the `jsonschema` package (4.18 or newer); if it cannot be imported,
the script installs it into a virtual environment under /tmp and runs
itself again from there.
"""

import argparse
import calendar
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

VENV = Path("/tmp/w3c-assertions-venv")
BOOTSTRAPPED = "W3C_ASSERTIONS_BOOTSTRAPPED"

# Every schema gets an address under this base, so that the relative
# `$ref`s between the files resolve among them; it is never fetched.
BASE = "https://w3c-assertions.invalid/"


def ensure_jsonschema():
    """Import jsonschema, or re-run this script in a venv that has it."""
    try:
        import jsonschema  # noqa: F401
        import referencing  # noqa: F401

        return
    except ImportError:
        pass
    if os.environ.get(BOOTSTRAPPED):
        sys.exit(f"w3c-assertions: jsonschema is still missing in {VENV}")
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"w3c-assertions: creating {VENV} for jsonschema", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    has_it = subprocess.run(
        [str(python), "-c", "import jsonschema, referencing"], capture_output=True
    )
    if has_it.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "jsonschema>=4.18"],
            check=True,
        )
    os.environ[BOOTSTRAPPED] = "1"
    os.execv(str(python), [str(python), os.path.abspath(__file__), *sys.argv[1:]])


# --- formats -----------------------------------------------------------------

# An absolute IRI: a scheme, `:`, and no character that an IRI never holds.
IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f]*")

# RFC 3339 date-time: a zone (Z or ±hh:mm) is required.
DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?"
    r"(?:[Zz]|[+-](\d{2}):(\d{2}))"
)


def is_uri(value):
    return not isinstance(value, str) or IRI.fullmatch(value) is not None


def is_date_time(value):
    if not isinstance(value, str):
        return True
    m = DATE_TIME.fullmatch(value)
    if not m:
        return False
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    zone_hour, zone_minute = (int(g) if g else 0 for g in m.groups()[6:])
    return (
        1 <= month <= 12
        and 1 <= day <= calendar.monthrange(year, month)[1]
        and hour <= 23
        and minute <= 59
        and second <= 60
        and zone_hour <= 23
        and zone_minute <= 59
    )


def format_checker():
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("uri")(is_uri)
    checker.checks("date-time")(is_date_time)
    return checker


# --- schemas -----------------------------------------------------------------


class Assertion:
    def __init__(self, listed, path, schema):
        self.listed = listed  # as the .test file lists it
        self.path = path
        self.schema = schema
        self.uri = BASE + path.name
        self.must = schema.get("assertionType") == "must"
        self.expect_valid = schema.get("expectedResult", "valid") == "valid"
        self.passed = 0
        self.failed = []  # (name, message)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"w3c-assertions: {path}: {e}")


def load_assertions(test_file, root):
    """The assertions a .test file lists, by paths relative to `root`."""
    assertions = []
    for listed in load_json(test_file).get("assertions", []):
        if not isinstance(listed, str):
            continue  # an inline assertion object: not used by the MUST lists
        path = root / listed
        if not path.exists():
            sys.exit(f"w3c-assertions: {test_file} lists {listed}, not found under {root}")
        assertions.append(Assertion(listed, path, load_json(path)))
    return assertions


def registry_of(definitions, assertions):
    """Every definitions/*.json and every assertion, each at BASE + its file
    name (the definitions' relative `$ref`s, like `id.json#/...`, then name
    the local files); any other address is refused, so nothing is fetched."""
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT4

    def refuse(uri):
        raise NoSuchResource(ref=uri)

    resources = []
    for path in sorted(definitions.glob("*.json")):
        resource = Resource.from_contents(load_json(path), default_specification=DRAFT4)
        resources.append((BASE + path.name, resource))
    for a in assertions:
        resources.append((a.uri, Resource.from_contents(a.schema, default_specification=DRAFT4)))
    return Registry(retrieve=refuse).with_resources(resources).crawl()


def validator_for(assertion, registry, checker):
    import jsonschema

    # Validate through a reference to the registered assertion, so its
    # relative references resolve against its address even when a `$ref` at
    # its top makes draft-04 ignore its `id`.
    cls = jsonschema.validators.validator_for(assertion.schema, default=jsonschema.Draft4Validator)
    return cls({"$ref": assertion.uri}, registry=registry, format_checker=checker)


# --- the document --------------------------------------------------------------


def types_of(value):
    t = value.get("type") if isinstance(value, dict) else None
    return [t] if isinstance(t, str) else [x for x in t or [] if isinstance(x, str)]


def annotations_of(doc, inherit_context):
    """The annotations of a collection's embedded first page, of a page, of a
    list, or else the document as one annotation."""
    if isinstance(doc, list):
        return doc
    kinds = types_of(doc)
    if "AnnotationCollection" in kinds:
        page = doc.get("first")
        if isinstance(page, list) and len(page) == 1:
            page = page[0]
        if not isinstance(page, dict):
            print("w3c-assertions: the collection has no embedded first page", file=sys.stderr)
            return []
        items = page.get("items", [])
    elif "AnnotationPage" in kinds:
        items = doc.get("items", [])
    else:
        return [doc]
    if not isinstance(items, list):
        sys.exit("w3c-assertions: the page's items are not an array")
    if inherit_context and "@context" in doc:
        items = [
            dict(item, **{"@context": doc["@context"]})
            if isinstance(item, dict) and "@context" not in item
            else item
            for item in items
        ]
    return items


def name_of(annotation, i):
    ident = annotation.get("id") if isinstance(annotation, dict) else None
    return ident if isinstance(ident, str) else f"items[{i}]"


# --- running ---------------------------------------------------------------


def run(assertions, instances, registry, checker):
    from jsonschema.exceptions import best_match

    for a in assertions:
        validator = validator_for(a, registry, checker)
        for name, instance in instances:
            errors = list(validator.iter_errors(instance))
            if (not errors) == a.expect_valid:
                a.passed += 1
            elif errors:
                error = best_match(errors)
                where = "/".join(str(p) for p in error.absolute_path) or "(top)"
                a.failed.append((name, f"at {where}: {error.message}"))
            else:
                a.failed.append((name, "valid, but the assertion expects it to be invalid"))


def report(title, assertions, shown, verbose):
    print(f"== {title}")
    for a in assertions:
        total = a.passed + len(a.failed)
        kind = f"{a.schema.get('assertionType', '?')}/{'valid' if a.expect_valid else 'invalid'}"
        status = "ok  " if not a.failed else "FAIL"
        print(f"{status} {kind:<14} passed {a.passed:>4}  failed {len(a.failed):>4}  of {total:<4} {a.listed}")
        if a.failed:
            if a.schema.get("errorMessage"):
                print(f"       {a.schema['errorMessage']}")
            for name, message in a.failed if verbose else a.failed[:shown]:
                if len(message) > 300 and not verbose:
                    message = message[:297] + "..."
                print(f"       - {name}: {message}")
            if not verbose and len(a.failed) > shown:
                print(f"       ... and {len(a.failed) - shown} more (--verbose shows all)")


def main():
    parser = argparse.ArgumentParser(
        description="Run web-annotation-tests' MUST assertions on an exported W3C AnnotationCollection."
    )
    parser.add_argument("annotations_dir", type=Path, help="the annotations/ folder of web-annotation-tests")
    parser.add_argument("export", help="the exported collection (JSON), or - for stdin")
    parser.add_argument("--definitions", type=Path, help="the definitions/ folder (default: beside annotations/)")
    parser.add_argument(
        "--items-only",
        action="store_true",
        help="skip collectionMusts.test and pageMusts.test even when the checkout has them",
    )
    parser.add_argument(
        "--inherit-context",
        action="store_true",
        help="give annotations without an @context the collection's (JSON-LD would)",
    )
    parser.add_argument("--show", type=int, default=3, help="failures shown per assertion (default 3)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every failure in full")
    args = parser.parse_args()

    ensure_jsonschema()

    annotations_dir = args.annotations_dir.resolve()
    root = annotations_dir.parent
    musts = annotations_dir / "annotationMusts.test"
    if not musts.is_file():
        sys.exit(f"w3c-assertions: no {musts}")
    definitions = (args.definitions or root / "definitions").resolve()
    if not any(definitions.glob("*.json")):
        sys.exit(f"w3c-assertions: no definitions/*.json in {definitions}")
    if args.export == "-":
        doc = json.load(sys.stdin)
    else:
        doc = load_json(args.export)

    groups = [("annotations: " + str(musts.relative_to(root)), load_assertions(musts, root))]
    collection_groups = []
    if not args.items_only and isinstance(doc, dict):
        kinds = types_of(doc)
        tests = []
        if "AnnotationCollection" in kinds:
            tests.append(root / "collections" / "collectionMusts.test")
        first = doc.get("first")
        if isinstance(first, list) and len(first) == 1:
            first = first[0]
        # The page MUSTs are for a page, or a collection that embeds its first.
        if "AnnotationPage" in kinds or isinstance(first, dict):
            tests.append(root / "collections" / "pages" / "pageMusts.test")
        for test in tests:
            if test.is_file():
                collection_groups.append(
                    ("collection: " + str(test.relative_to(root)), load_assertions(test, root))
                )

    everything = [a for _, group in groups + collection_groups for a in group]
    registry = registry_of(definitions, everything)
    checker = format_checker()

    items = annotations_of(doc, args.inherit_context)
    objects = [(name_of(item, i), item) for i, item in enumerate(items) if isinstance(item, dict)]
    skipped = len(items) - len(objects)
    for _, group in groups:
        run(group, objects, registry, checker)
    for _, group in collection_groups:
        run(group, [("(collection)", doc)], registry, checker)

    print(f"{len(objects)} annotations" + (f" ({skipped} given only by IRI, not checked)" if skipped else ""))
    for title, group in groups + collection_groups:
        report(title, group, args.show, args.verbose)
    failed = [a for a in everything if a.failed]
    blocking = [a for a in failed if a.must and a.expect_valid]
    print(
        f"== {len(everything)} assertions: {len(everything) - len(failed)} passed, "
        f"{len(failed)} failed ({len(blocking)} of them must/valid)"
    )
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())
