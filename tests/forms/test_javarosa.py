"""The generated XForms against JavaRosa, the engine inside ODK Collect: ODK Validate (bundled with
pyxform, needs Java) loads each form, and every XPath function used is one JavaRosa implements
(it has ``substr()`` but no XPath 1.0 ``substring()``)."""
from __future__ import annotations

import re
import shutil

import pytest
from lxml import etree

import forms

# Functions of the ODK XForms spec that JavaRosa implements (getodk.github.io/xforms-spec).
JAVAROSA_FUNCTIONS = {
    "if", "selected", "selected-at", "count-selected", "jr:choice-name", "jr:itext", "indexed-repeat",
    "count", "count-non-empty", "sum", "max", "min", "regex", "not", "true", "false", "boolean",
    "boolean-from-string", "string", "concat", "join", "substr", "substring-before", "substring-after",
    "translate", "string-length", "normalize-space", "contains", "starts-with", "ends-with", "uuid",
    "number", "int", "round", "pow", "abs", "coalesce", "once", "position", "today", "now", "date",
    "date-time", "decimal-date-time", "decimal-date", "format-date", "format-date-time", "instance",
    "current", "random", "digest",
}
_EXPR_ATTRS = ("calculate", "constraint", "relevant", "required", "readonly", "value", "nodeset", "ref")


@pytest.fixture(scope="module")
def built(policy):
    return forms.build_all(policy)


def test_only_javarosa_functions_are_used(built):
    for b in built:
        root = etree.fromstring(b.xml_bytes)
        exprs = [v for el in root.iter() for k, v in el.attrib.items() if k in _EXPR_ATTRS]
        used = {m for e in exprs for m in re.findall(r"([a-z][a-z0-9:-]*)\s*\(", re.sub(r"'[^']*'", "", e))}
        used -= {"and", "or", "div", "mod"}  # operators followed by a parenthesis
        assert used <= JAVAROSA_FUNCTIONS, (b.form_id, used - JAVAROSA_FUNCTIONS)


def test_odk_validate_accepts_every_form(built, tmp_path):
    if shutil.which("java") is None:
        msg = "!!! SKIPPED: Java is not installed — ODK Validate (JavaRosa) did not run !!!"
        print("\n" + msg)
        pytest.skip(msg)
    from pyxform.validators import odk_validate
    for b in built:
        path = tmp_path / f"{b.form_id}.xml"
        path.write_bytes(b.xml_bytes)
        assert odk_validate.check_xform(str(path)) == [], b.form_id
