"""The served shell is the source's code, line for line, without its comments."""

from __future__ import annotations

import pytest
import tree_sitter_javascript
from tree_sitter import Language, Parser

from visitcheck import resource_dir
from visitcheck.shell.assets import load_asset, strip_css, strip_js

LITERALS = {"string", "template_string", "regex"}
APP_DIR = resource_dir("static") / "app"
SHELL_JS = sorted(APP_DIR.rglob("*.js"))  # screens/ too


def _tokens(source: bytes) -> list[tuple[int, bytes]]:
    """Every token but comments with its line; a string, template or regex whole."""
    tree = Parser(Language(tree_sitter_javascript.language())).parse(source)
    assert not tree.root_node.has_error
    tokens = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            continue
        if node.type in LITERALS or not node.children:
            tokens.append((node.start_point[0], source[node.start_byte:node.end_byte]))
            continue
        stack.extend(reversed(node.children))
    return tokens


@pytest.mark.parametrize("path", SHELL_JS, ids=lambda p: p.relative_to(APP_DIR).as_posix())
def test_every_shell_module_keeps_its_code_and_line_numbers(path):
    source = path.read_bytes()

    served = strip_js(source, name=path.name)

    assert served.count(b"\n") == source.count(b"\n")
    assert _tokens(served) == _tokens(source)
    assert len(served) < len(source)


def test_comments_go_and_strings_templates_and_regexes_stay_as_written():
    source = (
        b"// a line comment\n"
        b"const url = \"http://example/*not*/\"; /* inline */ const n = 1;\n"
        b"    const t = `line one // not a comment\n"
        b"    indented inside the template   \n"
        b"${ /* in a substitution */ n }`;\n"
        b"const r = /\\/\\/[a-z]*\\/* x/g; let a = b /*\n"
        b"   spans lines */\n"
        b"  (c);\n"
    )

    served = strip_js(source)

    assert served == (
        b"\n"
        b"const url = \"http://example/*not*/\";   const n = 1;\n"
        b"const t = `line one // not a comment\n"
        b"    indented inside the template   \n"
        b"${   n }`;\n"
        b"const r = /\\/\\/[a-z]*\\/* x/g; let a = b\n"
        b"\n"
        b"(c);\n"
    )


def test_a_multi_line_comment_still_ends_the_statement_for_semicolon_insertion():
    # `a = b /* ... */ (c)` on one line would call b; across the comment's line break
    # the source has the same tokens on different lines, and so must the served code.
    source = b"let a = b /*\n*/\n(c);\n"

    assert strip_js(source).split(b"\n")[0] == b"let a = b"


def test_a_module_that_does_not_parse_is_served_as_written():
    source = b"const x = ;  // broken\n"

    assert strip_js(source, name="broken.js") == source


def test_css_loses_comments_and_indentation_but_not_strings():
    source = b'/* head */\n.a {\n  content: "/* kept */";\n  color: red; /* why */\n}\n'

    assert strip_css(source) == b'\n.a {\ncontent: "/* kept */";\ncolor: red;\n}\n'


def test_an_asset_is_made_once_per_version_of_its_file(tmp_path):
    path = tmp_path / "x.js"
    path.write_bytes(b"// comment\nexport const x = 1;\n" * 50)

    first = load_asset(path)
    assert load_asset(path) is first
    assert set(first.encoded) == {"br", "gzip"}

    path.write_bytes(b"export const y = 2;\n" * 60)
    second = load_asset(path)
    assert second is not first
    assert second.body.startswith(b"export const y = 2;")
