"""Templates and records are untrusted: strict names, escaping, sandbox, no files or network."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pdfplumber
import pytest

from letters.campaign import load_campaign
from letters.documents import Letter, Renderer, RenderOptions
from letters.errors import TemplateError
from letters.notice import render_one
from tests.conftest import edit


def _text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def test_undefined_name_names_template_line_and_name(project: Path) -> None:
    template = project / "templates" / "23LJ01" / "faq.html"
    edit(template, "<h1>{{ title }}</h1>", "<h1>{{ title }}</h1>\n<p>{{ recall_deadline }}</p>")
    with pytest.raises(TemplateError) as err:
        Renderer(load_campaign("23LJ01")).render("faq")
    message = err.value.message
    assert "faq.html, line 6" in message  # the line the test inserted
    assert "recall_deadline" in message


def test_undefined_name_in_campaign_prose(project: Path) -> None:
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'answer = "{{ reason }}"', 'answer = "{{ nope }}"')
    with pytest.raises(TemplateError, match="nope"):
        Renderer(load_campaign("23LJ01")).render("faq")


def test_syntax_error_names_line(project: Path) -> None:
    edit(project / "templates" / "23LJ01" / "faq.html", "{% for item in faq %}", "{% for item in %}")
    with pytest.raises(TemplateError, match=r"faq.html, line \d+: template syntax error"):
        Renderer(load_campaign("23LJ01")).render("faq")


@pytest.mark.parametrize(
    "expression",
    ["''.__class__.__mro__[1].__subclasses__()", "lipsum.__globals__['os'].listdir('/')", "c.__class__.__init__"],
)
def test_sandbox_blocks_python_internals(project: Path, expression: str) -> None:
    edit(project / "templates" / "23LJ01" / "faq.html", "<h1>{{ title }}</h1>", f"<h1>{{{{ {expression} }}}}</h1>")
    with pytest.raises(TemplateError):
        Renderer(load_campaign("23LJ01")).render("faq")


def test_owner_data_is_escaped_not_evaluated(tmp_path: Path) -> None:
    letter = Letter(vin="JTJGKCEZ1RJ100002", address=("<b>Ana</b> & Co", "{{ 7*7 }} Main St", "CITY ST 12345"))
    target = tmp_path / "letter.pdf"
    render_one(load_campaign("23LJ01"), "owner-letter", target, RenderOptions(letter=letter))
    text = _text(target)
    assert "<b>Ana</b> & Co" in text
    assert "{{ 7*7 }} Main St" in text
    assert "49 Main" not in text


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counter.hits.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_templates_cannot_reach_files_or_network(project: Path, local_server: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    edit(
        project / "templates" / "23LJ01" / "faq.html",
        "{% block body %}",
        "{% block body %}"
        f'<link rel="stylesheet" href="{local_server}/evil.css">'
        f'<img src="{local_server}/pixel.png">'
        '<img src="file:///etc/passwd"><object data="file:///etc/passwd"></object>'
        f'<iframe src="{secret.as_uri()}"></iframe>'
        f'<style>@import url("{local_server}/import.css"); body {{ background: url("file:///etc/passwd") }}</style>',
    )
    rendered = Renderer(load_campaign("23LJ01")).render("faq")
    assert _Counter.hits == []
    assert any("127.0.0.1" in url for url in rendered.refused)
    assert "file:///etc/passwd" in rendered.refused
    target = tmp_path / "faq.pdf"
    render_one(load_campaign("23LJ01"), "faq", target, RenderOptions())
    text = _text(target)
    assert "root:" not in text and "TOP-SECRET-VALUE" not in text


def test_symlink_out_of_the_campaign_is_not_included(project: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    (project / "templates" / "23LJ01" / "extra.html").symlink_to(secret)
    edit(project / "templates" / "23LJ01" / "faq.html", "<h1>{{ title }}</h1>", '{% include "extra.html" %}')
    with pytest.raises(TemplateError) as err:
        Renderer(load_campaign("23LJ01")).render("faq")
    assert "outside the campaign and shared template folders; refused" in err.value.message
    assert str(secret) in err.value.message and "TOP-SECRET" not in err.value.message


def test_symlink_within_the_template_folders_is_followed(project: Path) -> None:
    (project / "templates" / "23LJ01" / "shared-base.html").symlink_to(project / "templates" / "_shared" / "base.html")
    edit(project / "templates" / "23LJ01" / "faq.html", '{% extends "base.html" %}', '{% extends "shared-base.html" %}')
    assert Renderer(load_campaign("23LJ01")).render("faq").document.pages


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("range(10**7)|list", "OverflowError: Range too big"),
        ("[].pop()", "IndexError"),
        ("{}['missing']", "undefined name"),
        ("(1).__add__", "not allowed in a template"),
        ("1 // 0", "ZeroDivisionError"),
        ("'%d'|format('x')", "TypeError"),
    ],
)
def test_template_failing_at_run_time_names_file_and_line(project: Path, expression: str, said: str) -> None:
    edit(project / "templates" / "23LJ01" / "faq.html", "<h1>{{ title }}</h1>", f"<h1>{{{{ {expression} }}}}</h1>")
    with pytest.raises(TemplateError) as err:
        Renderer(load_campaign("23LJ01")).render("faq")
    assert re.search(r"faq\.html, line \d+: ", err.value.message) and said in err.value.message


def test_error_in_campaign_prose_names_its_key(project: Path) -> None:
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'answer = "{{ reason }}"', 'answer = "{{ nope }}"')
    with pytest.raises(TemplateError) as err:
        Renderer(load_campaign("23LJ01")).render("faq")
    assert re.search(r"campaign\.toml, key faq\[\d+\]\.answer, line 1: undefined name: 'nope'", err.value.message)
    assert "<template>" not in err.value.message
