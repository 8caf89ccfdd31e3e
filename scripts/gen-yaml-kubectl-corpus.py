#!/usr/bin/env python3
"""Generate fixtures/yaml-kubectl/: tricky YAML (and JSON) manifests, and what kubectl makes of each.

tests/it/yaml_kubectl.rs runs tollgate's loader (`tollgate parse`) on every file and checks that it
reads exactly kubectl's value, document by document, or reports an error finding. kubectl's reading
is recorded here (`cases.json`, from `kubectl label --local -o json -f FILE tollgate-diff=1`, the
added label stripped) so the test can compare without kubectl; with kubectl on PATH the test also
checks that the recording still holds.

Each case says what tollgate must do:
  same     tollgate reads kubectl's value and reports no error;
  refused  tollgate reports an error finding (kubectl rejects the file too, or reads it in a way
           tollgate refuses to judge: the case's `why` says which).

Usage: python3 scripts/gen-yaml-kubectl-corpus.py      (needs kubectl on PATH; rewrites the directory)
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "yaml-kubectl")


def head(name, extra=""):
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{extra}"


CASES = []


def case(name, data, expect, why, random=False):
    """`random`: kubectl's reading changes from run to run (it keeps one of two keys at random, Go's
    map order); such a case must be refused, and the live comparison checks only that kubectl
    still reads it at all."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert not random or expect == "refused", name
    CASES.append({"name": name, "data": data, "expect": expect, "why": why, "random": random})


def body(name, text, expect, why, random=False):
    """A ConfigMap whose extra top-level fields are `text`."""
    case(name, head(name) + text, expect, why, random)


# --- Line breaks and characters -------------------------------------------------------------------
case(
    "u2028-line-separator",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: u2028-line-separator\nspec:\n  containers:\n  - name: a\n"
    "    image: nginx:1\u2028    securityContext:\u2028      privileged:\u2028        true\n",
    "refused",
    "U+2028 is a line break for kubectl's YAML 1.1 reader: it reads privileged: true, YAML 1.2 tools one string",
)
body("u2029-paragraph-separator", "x: a\u2029y: b\n", "refused", "U+2029 is a line break for kubectl only")
body("u0085-next-line", "x: a\u0085y: b\n", "refused", "NEL is a line break for kubectl only")
body("u2028-in-double-quotes", 'x: "a\u2028b"\n', "refused", "a raw U+2028 is refused wherever it is")
body("u2028-in-comment", "x: a # c\u2028y: b\n", "refused", "kubectl ends the comment at U+2028")
body("escaped-line-separators", 'x: "a\\Lb\\Pc\\Nd\\_e"\n', "same", "escapes give the characters")
case("cr-only-lines", head("cr-only-lines", "x: 1\n").replace("\n", "\r"), "refused",
     "a lone CR ends a line for go-yaml but not for kubectl's line reader")
case("crlf-lines", head("crlf-lines", "x: |\n  a\n  b\ny: 2\n").replace("\n", "\r\n"), "same", "CRLF is one line break")
body("cr-cr-lf", "x: |\n  a\r\r\n  b\n", "refused", "kubectl drops one CR before LF, leaving CR LF")
body("nul-in-value", 'x: "a\x00b"\n', "refused", "kubectl rejects control characters")
body("bell-in-plain", "x: a\x07b\n", "refused", "kubectl rejects control characters")
body("del-in-plain", "x: a\x7fb\n", "refused", "kubectl rejects DEL")
body("c1-control", "x: a\u0080b\n", "refused", "kubectl rejects C1 controls")
body("ufffe", "x: a\ufffeb\n", "refused", "kubectl rejects U+FFFE")
body("tab-in-quotes", 'x: "a\tb"\ny: \'c\td\'\n', "same", "tabs are content in quoted scalars")
case("bom-at-start", "\ufeff" + head("bom-at-start", "x: 1\n"), "same", "a leading byte order mark is dropped")
case("bom-then-separator-content", "\ufeff--- " + "{apiVersion: v1, kind: ConfigMap, metadata: {name: bom-then-separator-content}}\n",
     "refused", "kubectl drops the byte order mark, then rejects content on the separator line")
case("bom-then-json", '\ufeff{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bom-then-json"}}\n', "same",
     "kubectl drops the byte order mark before it sniffs JSON")
case("double-bom", "\ufeff\ufeff" + head("double-bom", "x: 1\n"), "refused", "kubectl drops one byte order mark; go-yaml may skip the other")
case("bom-mid-stream", head("bom-mid-stream-a", "x: 1\n") + "---\n\ufeff" + head("bom-mid-stream-b", "x: 2\n"),
     "refused", "go-yaml skips a mid-stream BOM only when its buffer happens to start with one")
body("bom-in-value", "x: a\ufeffb\n", "refused", "U+FEFF after the start is refused")
case("utf16le", b"\xff\xfe" + head("utf16le", "x: 1\ny: \u00e9\n").encode("utf-16-le"), "same", "UTF-16 with a BOM")
case("utf16be-no-final-newline", b"\xfe\xff" + head("utf16be-no-final-newline", "x: |\n  a").encode("utf-16-be"), "same",
     "kubectl decodes UTF-16 first, then adds a line feed to the last line")
case("utf16le-two-documents", b"\xff\xfe" + (head("utf16-a", "x: 1\n") + "---\n" + head("utf16-b", "x: 2\n")).encode("utf-16-le"),
     "same", "kubectl decodes UTF-16 before it cuts the stream")
case("utf16le-0a-byte", b"\xff\xfe" + head("utf16le-0a-byte", "x: \u0a2d\u0d0a\n").encode("utf-16-le"), "same",
     "characters with 0x0A and 0x0D bytes in UTF-16")

# --- Merge keys -----------------------------------------------------------------------------------
body("merge-after-explicit-key", "x:\n  privileged: false\n  <<: {privileged: true}\n", "same",
     "a merge overwrites keys set before it (kubectl reads true)")
body("merge-before-explicit-key", "x:\n  <<: {privileged: true}\n  privileged: false\n", "same", "explicit key after a merge wins")
body("merge-two-keys", "x:\n  <<: {a: 1, b: 1}\n  <<: {a: 2}\n", "refused",
     "two << keys: kubectl applies both in order; tollgate reads the same but reports the duplicate key")
body("merge-sequence-precedence", "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n", "same",
     "in << [*a, *b] the first wins")
body("merge-sequence-then-key", "c:\n  w: 0\n  <<: [{x: 1}, {x: 2, w: 5}]\n  x: 9\n", "same", "order of merges and keys")
body("merge-inline-and-alias", "base: &b {a: 1, n: {deep: true}}\nc:\n  <<: *b\n  a: 2\n", "same", "alias merge")
body("merge-nested", "a: &a {x: 1}\nb: &b\n  <<: *a\n  y: 2\nc:\n  <<: *b\n  z: 3\n", "same", "merge of a mapping that merges")
body("merge-empty-sequence", "c:\n  <<: []\n  a: 1\n", "same", "nothing to merge")
body("merge-quoted-key", 'c:\n  "<<": {a: 1}\n', "same", "a quoted << is a plain key")
body("merge-tagged-key", 'c:\n  !!merge "<<": {a: 1}\n', "same", "!!merge makes a quoted << a merge")
body("merge-alias-to-sequence", "l: &l [{a: 1}]\nc:\n  <<: *l\n", "refused", "kubectl rejects: map merge requires map")
body("merge-scalar", "c:\n  <<: 1\n", "refused", "kubectl rejects")
body("merge-null", "c:\n  <<: ~\n", "refused", "kubectl rejects")
body("merge-sequence-with-scalar", "c:\n  <<: [{a: 1}, 2]\n", "refused", "kubectl rejects")
body("merge-flow", "a: &a {x: 1}\nc: {<<: *a, y: 2}\n", "same", "merge in a flow mapping")
body("merge-key-identity-clash", 'c:\n  1: a\n  <<: {"1": b}\n', "refused",
     "1 and \"1\" are different keys to go-yaml and the same JSON key: kubectl keeps one at random", random=True)
body("merge-int-keys-same-identity", "a: &a {1: x, 2: y}\nc:\n  <<: *a\n  1: z\n", "same", "same key to go-yaml: overridden")
body("merge-anchored-sequence", "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: &s [*a, *b]\nd: *s\n", "same",
     "an anchored merge sequence used as a value")

# --- Tags -----------------------------------------------------------------------------------------
body("tag-binary", "x: !!binary aGVsbG8=\ny: !!binary |\n  aGVs\n  bG8=\n", "same", "base64 decoded")
body("tag-binary-invalid-utf8", "x: !!binary /w==\n", "same", "bytes that are not UTF-8 become U+FFFD")
body("tag-binary-invalid", "x: !!binary not-base64\n", "refused", "kubectl rejects")
body("tag-int-on-quoted", 'x: !!int "12"\ny: !!int 0x1F\n', "same", "tags type quoted scalars")
body("tag-int-mismatch", "x: !!int 1.5\n", "refused", "kubectl rejects: cannot decode !!float as !!int")
body("tag-str", "x: !!str 12\ny: !!str yes\nz: !!str ~\n", "same", "!!str keeps the text")
body("tag-float-on-int", "x: !!float 1\n", "same", "!!float takes an integer")
body("tag-bool", "x: !!bool yes\ny: !!bool \"off\"\n", "same", "YAML 1.1 booleans")
body("tag-bool-mismatch", "x: !!bool 1\n", "refused", "kubectl rejects")
body("tag-null", 'x: !!null ""\ny: !!null ~\n', "same", "nulls")
body("tag-null-mismatch", "x: !!null x\n", "refused", "kubectl rejects")
body("tag-custom", "x: !foo bar\ny: !foo 12\nz: !foo {a: 1}\nw: !!str {b: 2}\nv: !!map [1]\n", "same",
     "other tags leave strings, and are ignored on collections")
body("tag-non-specific", "x: ! 12\ny: ! true\n", "same", "the non-specific tag makes a string")
body("tag-verbatim", "x: !<tag:yaml.org,2002:int> 7\ny: !<!foo> 8\n", "same", "verbatim tags")
body("tag-uri-escape", "x: !!in%74 7\n", "same", "%-escapes in tags are decoded: this is !!int")
body("tag-merge-on-value", "x: !!merge y\n", "same", "!!merge on a value is a string")
body("tag-timestamp", "x: !!timestamp 2001-01-01\n", "refused", "tollgate does not read timestamps")
body("tag-undefined-handle", "x: !e!foo bar\n", "refused", "kubectl rejects an undefined tag handle")
case("directive-yaml", "%YAML 1.1\n---\n" + head("directive-yaml", "x: 1\n"), "refused",
     "kubectl's splitter cuts the directive from its document and rejects it")
case("directive-tag", "%TAG !e! tag:example.com,2000:\n---\n" + head("directive-tag", "x: !e!foo 1\n"), "refused",
     "kubectl rejects directives")

# --- Keys -----------------------------------------------------------------------------------------
body("key-null", "x:\n  ~: 1\n", "refused", "kubectl rejects a null key")
body("key-empty", "x:\n  : 1\n", "refused", "an empty key is null: kubectl rejects it")
body("key-null-word", "x:\n  null: 1\n", "refused", "kubectl rejects a null key")
body("key-quoted-null", 'x:\n  "null": 1\n  "~": 2\n', "same", "quoted: strings")
body("key-ints", "x:\n  1: a\n  0x10: b\n  017: c\n  -3: d\n  1_000: e\n", "same", "int keys become decimal strings")
body("key-floats", "x: {1.5: a, 1e3: b, 0.1: c, 3.14159265358979: d, 1e20: e, 1e-7: h, 1234567.0: j, 1e39: k, -.inf: m, .nan: n}\n",
     "same", "float keys formatted as Go formats a float32")
body("key-negative-zero", "x:\n  -0.0: a\n", "refused", "negative zero is the same key as 0 to go-yaml")
body("key-bools", "x:\n  yes: a\n  Off: b\n", "same", "YAML 1.1 booleans become true/false")
body("key-bools-twice", "x:\n  yes: a\n  y: c\n", "refused", "yes and y are the same key: a duplicate")
body("key-int-and-string", 'x:\n  1: a\n  "1": b\n', "refused", "a duplicate key; kubectl keeps one at random", random=True)
body("key-huge-int", "x:\n  18446744073709551615: a\n", "refused", "kubectl rejects an unsigned key")
body("key-huge-signed", "x:\n  +18446744073709551615: a\n", "same", "with a sign it is a float key")
body("key-complex-sequence", "x:\n  ? [a, b]\n  : c\n", "refused", "kubectl rejects: invalid map key")
body("key-complex-mapping", "x:\n  ? {a: 1}\n  : c\n", "refused", "kubectl rejects: invalid map key")
body("key-explicit", "x:\n  ? a\n  : b\n  ? c\n", "same", "explicit keys")
body("key-alias", "x:\n  &k name: 1\ny:\n  *k : 2\nz: *k\n", "same", "an anchored key used as key and value")
body("key-alias-to-collection", "a: &a [1]\nx:\n  *a : 2\n", "refused", "kubectl rejects: invalid map key")
body("key-timestamp", "x:\n  2001-01-01: a\n  2001-01-01T10:00:00Z: b\n", "same", "timestamps stay strings")
body("key-equals", "x:\n  =: a\n", "same", "= is a plain key in go-yaml v2")
body("key-long-1000", "x:\n  " + "k" * 1000 + ": v\n", "same", "a 1000-character key")
body("key-long-1100", "x:\n  " + "k" * 1100 + ": v\n", "refused", "a simple key over 1024 characters: kubectl rejects")
body("key-long-1100-quoted", 'x: {"' + "k" * 1100 + '": v}\n', "refused", "a flow key over 1024 characters: kubectl rejects")
body("key-space-before-colon", "x:\n  a : 1\n", "same", "space before the colon")
body("key-binary", "x:\n  !!binary a2V5: v\n", "same", "a !!binary key is decoded")

# --- Scalars --------------------------------------------------------------------------------------
body("scalar-sexagesimal", "x: 1:20\ny: 190:20:30\n", "same", "go-yaml v2 has no base 60")
body("scalar-inf", "x: .inf\n", "refused", "kubectl rejects: JSON has no infinity")
body("scalar-neg-inf", "x: -.Inf\n", "refused", "kubectl rejects")
body("scalar-nan", "x: .NaN\n", "refused", "kubectl rejects")
body("scalar-float-overflow", "x: 1e999\ny: .5e999\n", "same", "an overflowing float stays a string")
body("scalar-float-underflow", "x: 1e-400\n", "same", "underflow is 0")
body("scalar-numbers", "x: [+1, 0o17, 0b101, -0b11, 017, 08, 0x_1F, 1_000, -0, 1e3, 1.0, .5, 5., +.5, 123_456.7_8, 0x, 0b, 1e, +, '-']\n",
     "same", "YAML 1.1 integers and floats")
body("scalar-int64-edges", "x: [9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809, 18446744073709551615, 18446744073709551616, 0xFFFFFFFFFFFFFFFF]\n",
     "same", "integers beyond int64 are floats in kubectl")
body("scalar-bools-nulls", "x: [y, Y, yes, n, NO, on, Off, True, FALSE, ~, null, Null, NULL, '', TrUe]\n", "same", "YAML 1.1 words")
body("scalar-timestamps", "x: [2001-01-01, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5]\n", "same", "strings")
body("scalar-empty-values", "x:\ny: ''\nz: &a\nw: !!str\n", "same", "empty values")
body("scalar-block-dash", "x: -\n", "refused", "kubectl rejects: block sequence entries are not allowed here")
body("scalar-dash-words", "x: [-a, - , -1]\ny: -\n  - b\n", "refused", "a - on the line of its key")
body("scalar-versions", "x: [1.10, 1.2.3, 0.0.1, 10.0]\n", "same", "1.10 is a float")

# --- Documents and the stream ---------------------------------------------------------------------
case("doc-end-marker-then-content", head("doc-end-a", "x: 1\n") + "...\n" + head("doc-end-b", "x: 2\n"), "refused",
     "kubectl reads only the first document between two --- lines")
case("doc-end-marker-trailing", head("doc-end-trailing", "x: 1\n") + "...\n# done\n", "same", "nothing after ...")
case("doc-separator-with-content", head("sep-content-a", "x: 1\n") + "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
     "refused", "kubectl rejects content on the separator line")
case("doc-separator-four-dashes", head("sep-four-a", "x: 1\n") + "----\n" + head("sep-four-b", "x: 2\n"), "refused",
     "kubectl rejects ----")
case("doc-separator-comment", head("sep-comment-a", "x: 1\n") + "--- # next\n" + head("sep-comment-b", "x: 2\n"), "same", "--- #c")
case("doc-separator-hash-glued", head("sep-glued-a", "x: 1\n") + "---#x\n" + head("sep-glued-b", "x: 2\n"), "same",
     "kubectl cuts at ---#x too")
case("doc-separator-trailing-space", head("sep-space-a", "x: 1\n") + "---   \t\n" + head("sep-space-b", "x: 2\n"), "same", "blanks")
case("doc-dashes-in-block-scalar", head("dashes-in-block", "x: |\n  ---\n  not a separator\n"), "same", "indented --- is content")
case("doc-empty-documents", "---\n---\n# comment only\n---\n" + head("empty-docs", "x: 1\n") + "---\n", "same", "empty parts are skipped")
case("doc-leading-comment", "# c\n" + head("leading-comment", "x: 1\n"), "same", "a comment first")
case("doc-starts-with-end-marker", head("end-first-a", "x: 1\n") + "---\n...\n", "refused", "kubectl rejects a part that starts with ...")
case("doc-no-final-newline", head("no-final-newline", "x: |\n  a"), "same", "kubectl adds a line feed to the last line")
case("doc-no-final-newline-strip", head("no-final-newline-strip", "x: |-\n  a\ny: >+\n  b"), "same", "chomping at the end")
case("doc-alias-across-documents", head("alias-across-a", "x: &a 1\n") + "---\n" + head("alias-across-b", "y: *a\n"), "refused",
     "anchors do not cross documents: kubectl rejects the unknown anchor")
case("json-object", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-object"}, "x": [1, 1.0, 1e3, "on", -0]}\n',
     "same", "a stream starting with { is read as JSON")
case("json-stream", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-a"}}\n'
     '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-b"}}', "same", "JSON values one after the other")
case("json-big-numbers", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-big"}, "x": [18446744073709551615, 9223372036854775807, -9223372036854775809, 1e308]}\n',
     "same", "integers beyond int64 become floats")
case("json-duplicate-key", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-dup"}, "x": 1, "x": 2}\n', "refused",
     "duplicate keys are errors (kubectl keeps the last)")
case("json-yaml-flow", "{apiVersion: v1, kind: ConfigMap, metadata: {name: json-yaml-flow}}\n", "refused",
     "a YAML flow mapping first: kubectl reads JSON and rejects it")
case("json-then-yaml", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-then-yaml"}}\n---\n' + head("b"),
     "refused", "kubectl rejects YAML after JSON")
case("json-nbsp-before", '\u00a0{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-nbsp"}}\n', "refused",
     "kubectl sniffs JSON past the no-break space, then its JSON decoder rejects it")
case("json-far-brace", " " * 4100 + '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-far"}}\n', "same",
     "past 4096 bytes kubectl does not sniff JSON: read as YAML")
case("json-comment", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-comment"}} # c\n', "refused",
     "no comments in JSON")
case("json-tab-in-string", '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json-tab"}, "x": "a\tb"}\n', "refused",
     "JSON strings hold no raw tab")

# --- Aliases --------------------------------------------------------------------------------------
body("alias-self", "x: &x [*x]\n", "refused", "kubectl rejects: anchor value contains itself")
body("alias-self-redefined", "x: &x 1\ny: &x [*x]\n", "refused", "the anchor is redefined before the alias: contains itself")
body("alias-redefined-inside", "x: &x [&x 1, *x]\n", "same", "the alias names the inner definition")
body("alias-unknown", "x: *nope\n", "refused", "kubectl rejects")
body("alias-forward", "x: *a\ny: &a 1\n", "refused", "kubectl rejects an alias before its anchor")
body("alias-moderate", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n", "same", "aliasing under go-yaml's ratio")
body("alias-excessive", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n", "refused",
     "kubectl rejects: document contains excessive aliasing")
body("alias-anchor-name-dot", "x: &a.b 1\n", "refused", "go-yaml v2 anchors are alphanumeric, - and _")
body("alias-deep", "a: &a " + "[" * 60 + "]" * 60 + "\nb: &b " + "[" * 45 + "*a" + "]" * 45 + "\n", "refused",
     "nesting over 100 levels through an alias (tollgate's limit)")

# --- Syntax go-yaml accepts where YAML 1.2 readers differ -----------------------------------------
body("syntax-flow-close-at-key-indent", "x:\n  args: [\n      a, b,\n  ]\n  env: ok\n", "same", "libyaml does not check flow indentation")
body("syntax-quoted-continuation-left", "x:\n  j: '[\n {\"a\": 1}\n ]'\n", "same", "quoted continuation left of the key")
body("syntax-question-mark-in-flow", "x: [a?b, c]\n", "refused", "? ends a plain scalar in flow context: kubectl rejects")
body("syntax-question-mark-key-in-flow", "x: [a, ?b, ? c: d]\n", "same", "? starts a key in flow context")
body("syntax-colon-in-flow", "x: {a:b, c: d}\ny: [http://h:1/p]\n", "same", "a colon without space in flow")
body("syntax-tab-after-colon", "x:\ta\ny: b\t# c\n", "same", "tabs as separators")
body("syntax-tab-indent", "x:\n\ty: 1\n", "refused", "kubectl rejects tab indentation")
body("syntax-tab-in-flow", "x: [a,\tb]\n", "same", "tabs in flow context")
body("syntax-hash-in-plain", "x: a#b\ny: a #b\n", "same", "# without a space before is content")
body("syntax-plain-multiline", "x: a\n  b\n\n  c\n   d\n", "same", "folding")
body("syntax-folded-block", "x: >\n  a\n  b\n\n   c\n  d\n\n", "same", "more-indented lines")
body("syntax-block-indicators", "x: |2\n    a\n   b\ny: >-\n  c\nz: |+\n  d\n\nw: x\n", "same", "indentation and chomping")
body("syntax-block-scalar-tab", "x: |\n\ta\n", "refused", "kubectl rejects a tab where indentation is expected")
body("syntax-escapes", 'x: "\\x41\\u00e9\\U0001F600\\t\\0\\e\\ \\/"\n', "refused", "\\/ is no escape in go-yaml v2")
body("syntax-escapes-ok", 'x: "\\x41\\u00e9\\U0001F600\\t\\0\\e\\ \\"\\\\"\n', "same", "go-yaml's escapes")
body("syntax-escape-surrogate", 'x: "\\ud800"\n', "refused", "kubectl rejects a surrogate escape")
body("syntax-escaped-newline", 'x: "a\\\n  b\n\n  c"\n', "same", "an escaped line break")
body("syntax-single-quotes", "x: 'it''s\n\n  b'\n", "same", "doubled quote and folding")
body("syntax-doc-indicator-in-quotes", 'x: "a\n--- b"\n', "refused", "kubectl splits there and rejects both halves")
body("syntax-doc-end-in-quotes", 'x: "a\n... b"\n', "refused", "kubectl rejects a document indicator in a quoted scalar")
body("syntax-nested-sequences", "x:\n- - a\n  - b\n- [c, {d: e}]\n- {f: [g]}\n", "same", "indentless and nested")
body("syntax-explicit-block-key", "x:\n  ? |\n    block key\n  : v\n", "same", "a block scalar as key")
body("syntax-empty-flow", "x: [[], {}, [{}], {a: []}]\n", "same", "empty collections")
body("syntax-flow-pairs", "x: [a: 1, b: 2, c]\n", "same", "single-pair mappings in a flow sequence")
body("syntax-flow-empty-key", "x: [? : x]\n", "refused", "libyaml skips the : here and then fails")
body("syntax-deep-flow", "x: " + "[" * 101 + "]" * 101 + "\n", "refused", "nesting over 100 levels (tollgate's limit)")
body("syntax-anchor-tag-order", "x: !!str &a 1\ny: &b !!str 2\nz: [*a, *b]\n", "same", "tag and anchor in either order")
body("syntax-comment-no-space", "x: 1 #c\ny: 2#c\n", "same", "a comment needs a space before it")
body("syntax-mapping-in-sequence-same-line", "x:\n- a: 1\n  b: 2\n-   c: 3\n", "same", "compact mappings")
body("syntax-percent-value", "x: '%a'\ny: a%b\n", "same", "%")
body("syntax-at-backtick", "x: \"@a\"\n", "same", "reserved indicators quoted")
body("syntax-at-plain", "x: @a\n", "refused", "@ cannot start a plain scalar")


def kubectl_read(path):
    p = subprocess.run(
        ["kubectl", "label", "--local", "-o", "json", "-f", path, "tollgate-diff=1"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": os.devnull},
    )
    docs = []
    dec = json.JSONDecoder()
    text = p.stdout
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        docs.append(strip_label(obj))
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        msg = err[-1] if err else f"exit {p.returncode}"
        return {"ok": False, "error": msg.replace(os.path.dirname(path) + os.sep, "")}
    return {"ok": True, "docs": docs}


def strip_label(obj):
    labels = obj.get("metadata", {}).get("labels")
    if isinstance(labels, dict):
        labels.pop("tollgate-diff", None)
        if not labels:
            del obj["metadata"]["labels"]
    return obj


def main():
    if shutil.which("kubectl") is None:
        sys.exit("kubectl is not on PATH: it is needed to record what kubectl reads")
    version = subprocess.run(["kubectl", "version", "--client", "-o", "json"], capture_output=True, text=True)
    git_version = json.loads(version.stdout)["clientVersion"]["gitVersion"]
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    names = set()
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, c in enumerate(CASES):
            assert c["name"] not in names, c["name"]
            names.add(c["name"])
            file = f"{i + 1:03d}-{c['name']}.yaml"
            with open(os.path.join(OUT, file), "wb") as f:
                f.write(c["data"])
            probe = os.path.join(tmp, file)
            with open(probe, "wb") as f:
                f.write(c["data"])
            record = {"file": file, "expect": c["expect"], "why": c["why"], "kubectl": kubectl_read(probe)}
            if c["random"]:
                record["random"] = True
            records.append(record)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"kubectl": git_version, "cases": records}, f, indent=1, ensure_ascii=True, sort_keys=True)
        f.write("\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write(
            "# YAML as kubectl reads it\n\n"
            "Generated by `scripts/gen-yaml-kubectl-corpus.py` (do not edit by hand); checked by\n"
            "`tests/it/yaml_kubectl.rs`. `cases.json` records, for each file, what tollgate must do\n"
            "(`same`: read exactly kubectl's value; `refused`: report an error finding), why, and what\n"
            f"kubectl {git_version} made of the file (`kubectl label --local -o json -f FILE`).\n"
        )
    refused = sum(1 for r in records if r["expect"] == "refused")
    print(f"{len(records)} cases ({refused} refused by design) written to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
