"""RFC 8785 canonical JSON: the RFC's own examples, properties, and node's JSON.stringify as a second route."""

import json
import shutil
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from callup.lottery.errors import LotteryError
from callup.lottery.jcs import MAX_SAFE_INTEGER, canonicalize


def test_member_names_sort_by_utf16_code_units_as_in_rfc_8785_section_3_2_3():
    doc = {"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
           "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis"}
    order = [k for k in json.loads(canonicalize(doc))]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]  # the RFC's order, not code points


def test_string_escaping_follows_rfc_8785_section_3_2_2_2():
    text = json.loads('"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/"')
    assert canonicalize(text) == '"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()


def test_every_control_character_and_the_line_separators():
    assert canonicalize("\t\b\f\n\r\x00\x1f\x7f\u2028\u2029") == b'"\\t\\b\\f\\n\\r\\u0000\\u001f\x7f\xe2\x80\xa8\xe2\x80\xa9"'


def test_literals_integers_and_nesting():
    assert canonicalize({"b": [1, -2, 0, True, False, None], "a": {}}) == b'{"a":{},"b":[1,-2,0,true,false,null]}'
    assert canonicalize(MAX_SAFE_INTEGER) == b"9007199254740991"


@pytest.mark.parametrize("bad", [0.5, MAX_SAFE_INTEGER + 1, "\ud800", {"\udfff": 1}, {1: "x"}, b"bytes"])
def test_what_canonical_json_cannot_hold_is_refused(bad):
    with pytest.raises(LotteryError):
        canonicalize(bad)


text_st = st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
json_st = st.recursive(
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | text_st,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text_st, children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200)
@given(doc=json_st)
def test_canonical_json_parses_back_to_the_same_document_and_is_a_fixed_point(doc):
    data = canonicalize(doc)
    assert json.loads(data) == doc
    assert canonicalize(json.loads(data)) == data


@settings(max_examples=100)
@given(doc=st.dictionaries(st.text(st.characters(max_codepoint=0xD7FF), max_size=6), text_st | st.integers(0, 10**9), max_size=6))
def test_for_names_below_u_d800_it_agrees_with_sorted_python_json(doc):
    # Below the surrogate range, UTF-16 order is code point order: JCS and format 1's JSON agree.
    legacy = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonicalize(doc) == legacy


NODE_JCS = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const c=v=>v===null||typeof v!=='object'?JSON.stringify(v):Array.isArray(v)?'['+v.map(c).join(',')+']':'{'+Object.keys(v).sort().map(k=>JSON.stringify(k)+':'+c(v[k])).join(',')+'}';process.stdout.write(c(JSON.parse(s)))})"


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")
def test_node_json_stringify_with_sorted_keys_gives_the_same_bytes():
    # ECMAScript's sort() compares UTF-16 code units and JSON.stringify escapes as JCS says.
    docs = [
        {"\U0001f600": 1, "\ufb33": 2, "Süd": {"z": None, "a": [True, "\x1f\u2028\"\\"]}, "": -7},
        {"numbers": {"North": 2, "Süd": 1, "Łódź": 0, "日本": 3}, "format": "callup-commitment/2"},
    ]
    for doc in docs:
        out = subprocess.run(["node", "-e", NODE_JCS], input=json.dumps(doc).encode(), capture_output=True, check=True).stdout
        assert out == canonicalize(doc)
