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
from click.testing import CliRunner
from starlette.testclient import TestClient

from letters.campaign import load_campaign
from letters.cli import cli
from letters.documents import Letter, Renderer, RenderOptions
from letters.errors import TemplateError
from letters.notice import render_one
from letters.render.env import make_environment, render_string
from letters.render.sandbox import Limits, Sandbox
from letters.review.web import Settings, create_app
from tests.conftest import ROOT, edit


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
        ("[1].index(2)", "ValueError"),
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


# --- Templates see data, not objects (issue #26) ---------------------------------------------
#
# Known escapes from a Jinja sandbox that hands templates live Python objects. Each is
# rendered where an attacker may write a template: an owner letter (``letters render`` and
# ``letters mail``), campaign prose, a revision topic (``letters revisions`` and the review
# app). ``{M}`` is a marker file the payload tries to create, ``{P}`` a pickle that would.

_PICKLE = "cos\\nsystem\\n(S'touch {M}'\\ntR."
ESCAPES = {
    "parse_raw": f"c.parse_raw(\"{_PICKLE}\", content_type='application/pickle', allow_pickle=True)",
    "parse_raw-of-a-table": f"distributor.parse_raw(\"{_PICKLE}\", content_type='application/pickle', "
    "allow_pickle=True)",
    "parse_raw-of-a-phase": f"phase(1).parse_raw(\"{_PICKLE}\", content_type='application/pickle', allow_pickle=True)",
    "parse_file": "c.parse_file('{P}', content_type='application/pickle', allow_pickle=True)",
    "model_validate_json": "c.model_validate_json('{{}}')",
    "model_construct": "c.model_construct(code='EVIL')",
    "model_copy": "c.revision.model_copy(update={{'approved_by': 'me'}})",
    "model_json_schema": "c.model_json_schema()",
    "class": "c.__class__",
    "init-globals": "c.__init__.__globals__['os'].system('touch {M}')",
    "subclasses": "''.__class__.__mro__[1].__subclasses__()",
    "dict-mro": "dict.mro()",
    "format-class": "'{{0.__class__}}'.format(c)",
    "format-method": "'{{0.parse_raw}}'.format(c)",
    "format-filter": "'%s'|format(c.parse_file)",
    "cycler": "cycler.__init__.__globals__['os'].system('touch {M}')",
    "joiner": "joiner.__init__.__globals__['os'].system('touch {M}')",
    "namespace": "namespace.__init__.__globals__['os'].system('touch {M}')",
    "lipsum": "lipsum.__globals__['os'].system('touch {M}')",
    "dict": "dict.fromkeys('ab')",
    "range": "range.__globals__['os'].system('touch {M}')",
    "self-context": "self._TemplateReference__context.environment.loader",
    "environment": "environment.loader.get_source(environment, '/etc/passwd')",
    "loader": "loader.list_templates()",
    "shared-list-mutated": "models.append(1)",
    "shared-dict-mutated": "facts.update(x=1)",
}


def _payload(name: str, tmp: Path) -> tuple[str, Path]:
    """The ESCAPES payload ``name`` aimed at a marker file in ``tmp``; the marker's path."""
    marker = tmp / "MARKER"
    pickled = tmp / "payload.pickle"
    pickled.write_bytes(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    return "{{ " + ESCAPES[name].format(M=marker, P=pickled) + " }}", marker


def _refused(code: int, err: str, marker: Path, where: str) -> None:
    """The command stopped with one clear ``error:`` naming ``where``, ran nothing, printed no traceback."""
    assert not marker.exists(), "the payload ran"
    assert code == 1, err
    assert err.startswith("error: ") and "Traceback" not in err, err
    assert where in err, err
    assert re.search(r"undefined name|not allowed in a template", err), err


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_refused_in_owner_letter_render(project: Path, tmp_path: Path, name: str) -> None:
    payload, marker = _payload(name, tmp_path)
    edit(project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>', payload)
    code, err = _invoke("render", "23LJ01", "owner-letter", "-o", str(tmp_path / "letter.pdf"))
    _refused(code, err, marker, "owner-letter.html, line ")


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_refused_in_owner_letter_mail(project: Path, tmp_path: Path, name: str) -> None:
    payload, marker = _payload(name, tmp_path)
    edit(project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>', payload)
    # --draft: the edited template is no longer what was approved; the template itself must still be refused.
    code, err = _invoke("mail", "23LJ01", "--phase", "1", "--as-of", "2024-02-05", "--workers", "1", "-q", "--draft",
                        "--ledger", str(tmp_path / "ledger.sqlite"), "-o", str(tmp_path / "out"))  # fmt: skip
    _refused(code, err, marker, "owner-letter.html, line ")


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_refused_in_campaign_prose(project: Path, tmp_path: Path, name: str) -> None:
    payload, marker = _payload(name, tmp_path)
    old = 'remedy_supply = """\\\n{{ brand }} now has enough parts to start the remedy in phases."""'
    edit(project / "templates" / "23LJ01" / "campaign.toml", old, f"remedy_supply = '''{payload}'''")
    code, err = _invoke("render", "23LJ01", "dealer-letter", "-o", str(tmp_path / "letter.pdf"))
    _refused(code, err, marker, "campaign.toml, key remedy_supply, line 1")


def _topic(project: Path, payload: str) -> None:
    """Put ``payload`` in the topic of 24A07's last revision."""
    old = 'topics = ["Phase 2 remedy available: Solace (approx. {{ phase(2).vehicles|number }} vehicles)"]'
    edit(project / "templates" / "24A07" / "revisions" / "2024-05-20.toml", old, f"topics = ['''{payload}''']")


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_refused_in_revision_topic(project: Path, tmp_path: Path, name: str) -> None:
    payload, marker = _payload(name, tmp_path)
    _topic(project, payload)
    code, err = _invoke("revisions", "24A07", "--json")
    _refused(code, err, marker, "campaign.toml, topic of revision 2024-05-20, line 1")


@pytest.mark.parametrize("name", ESCAPES)
def test_escape_refused_in_revision_topic_by_the_review_app(project: Path, tmp_path: Path, name: str) -> None:
    payload, marker = _payload(name, tmp_path)
    _topic(project, payload)
    client = TestClient(
        create_app(Settings(b"test-secret")), base_url="http://127.0.0.1", raise_server_exceptions=False
    )
    response = client.get("/campaigns/24A07")
    assert not marker.exists(), "the payload ran in the server process"
    assert response.status_code == 400, response.text
    assert "topic of revision 2024-05-20, line 1" in response.text
    assert re.search(r"undefined name|not allowed in a template", response.text), response.text


# --- Limits on a template's work (issue #26) --------------------------------------------------

RUNAWAYS = {
    "loop-1e10": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "repeat-1e9": "{{ 'x' * 1000000000 }}",
    "repeat-list-1e9": "{{ ([1] * 1000000000)|length }}",
    "format-filter-width-3e8": "{{ '%300000000d'|format(1) }}",
    "format-operator-width-3e8": "{{ '%300000000d' % 1 }}",
    "str-format-width-3e8": "{{ '{:>300000000}'.format(1) }}",
    "star-width": "{{ '%*d' % (300000000, 1) }}",
    "gettext-width-3e8": "{{ _('%(n)300000000d', n=1) }}",
    "doubling": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "power": "{{ 9 ** 9999999 }}",
    "center": "{{ 'x'|center(300000000) }}",
    "join": "{{ range(100000)|join('x' * 100000) }}",
    "replace": "{{ ('x' * 100000)|replace('x', 'y' * 1000) }}",
    "batch": "{{ [1]|batch(1000000000, 'x')|list|length }}",
    "sum-of-lists": "{{ range(100000)|map('string')|map('list')|sum(start=[])|length }}",
    "output": "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}",
}


@pytest.mark.parametrize("name", RUNAWAYS)
def test_runaway_template_stops_with_an_error_naming_it(project: Path, tmp_path: Path, name: str) -> None:
    edit(project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>', RUNAWAYS[name])
    code, err = _invoke("render", "23LJ01", "owner-letter", "-o", str(tmp_path / "letter.pdf"))
    assert code == 1 and "Traceback" not in err, err
    assert re.match(r"error: \S+owner-letter\.html(, line \d+)?: over a template limit: ", err), err


@pytest.mark.parametrize("name", ["loop-1e10", "repeat-1e9", "str-format-width-3e8"])
def test_runaway_owner_letter_stops_the_mailing(project: Path, tmp_path: Path, name: str) -> None:
    edit(project / "templates" / "23LJ01" / "owner-letter.html", '<p>{{ _("Sincerely,") }}</p>', RUNAWAYS[name])
    code, err = _invoke("mail", "23LJ01", "--phase", "1", "--as-of", "2024-02-05", "--workers", "1", "-q", "--draft",
                        "--ledger", str(tmp_path / "ledger.sqlite"), "-o", str(tmp_path / "out"))  # fmt: skip
    assert code == 1 and "Traceback" not in err, err
    # The mailing's preflight names the letter it was rendering (language, VIN, vehicle, stage) first.
    assert re.match(
        r"error: (the \w+ letter of VIN \w+ \([^)]*\): )?\S+owner-letter\.html, line \d+: over a template limit: ", err
    ), err


@pytest.mark.parametrize("name", ["loop-1e10", "repeat-1e9", "format-filter-width-3e8"])
def test_runaway_prose_stops_with_an_error_naming_its_key(project: Path, tmp_path: Path, name: str) -> None:
    old = 'remedy_supply = """\\\n{{ brand }} now has enough parts to start the remedy in phases."""'
    edit(project / "templates" / "23LJ01" / "campaign.toml", old, f"remedy_supply = '''{RUNAWAYS[name]}'''")
    code, err = _invoke("render", "23LJ01", "dealer-letter", "-o", str(tmp_path / "letter.pdf"))
    assert code == 1 and "Traceback" not in err, err
    assert "campaign.toml, key remedy_supply, line 1: over a template limit: " in err, err


def test_prose_shares_the_budget_of_the_template_quoting_it(project: Path) -> None:
    """A loop calling ``text()`` cannot multiply the limit by the number of calls."""
    edit(project / "templates" / "23LJ01" / "campaign.toml", 'answer = "{{ reason }}"',
         '''answer = '{% for i in range(60000) %}{% endfor %}{{ reason }}\'''')  # fmt: skip
    edit(project / "templates" / "23LJ01" / "faq.html", "<h1>{{ title }}</h1>",
         "{% for i in range(3) %}{{ text(faq[0].answer) }}{% endfor %}")  # fmt: skip
    with pytest.raises(TemplateError, match=r"key faq\[0\]\.answer, line 1: over a template limit: more than 100,000"):
        Renderer(load_campaign("23LJ01")).render("faq")


def _env(**limits: float) -> Sandbox:
    return make_environment([ROOT / "templates" / "_shared"], limits=Limits(**limits))  # type: ignore[arg-type]


def test_time_limit() -> None:
    with pytest.raises(TemplateError, match=r"^T, line 1: over a template limit: the render took longer than 0 s"):
        render_string(_env(seconds=0), "{% for i in range(10) %}{{ i }}{% endfor %}", {}, "T")


def test_output_limit_names_the_template() -> None:
    env = _env(output=1000)
    assert len(render_string(env, "{% for i in range(100) %}{{ 'x' * 9 }}{% endfor %}", {}, "T")) == 900
    with pytest.raises(TemplateError, match=r"^T: over a template limit: the template wrote more than 1,000 char"):
        render_string(env, "{% for i in range(101) %}{{ 'x' * 10 }}{% endfor %}", {}, "T")


def test_work_limit_counts_text_made_and_thrown_away() -> None:
    with pytest.raises(TemplateError, match=r"over a template limit: more than 10,000 characters of text made"):
        render_string(_env(work=10_000), "{% for i in range(100) %}{% set x = 'y' * 200 %}{% endfor %}", {}, "T")


def test_recursion_through_macros_counts_each_call() -> None:
    source = "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(60) }}"
    with pytest.raises(TemplateError, match=r"over a template limit: more than 1,000 loop iterations and calls"):
        render_string(_env(steps=1000), source, {}, "T")


def test_recursive_loop_counts_the_items_of_each_level() -> None:
    source = "{% for x in [range(1000)] recursive %}{% if x is iterable %}{{ loop(x) }}{% endif %}{% endfor %}"
    with pytest.raises(TemplateError, match=r"over a template limit: more than 500 loop iterations and calls"):
        render_string(_env(steps=500), source, {}, "T")


def test_limits_leave_ordinary_templates_alone() -> None:
    env = _env()
    source = (
        "{{ '%05d'|format(42) }} {{ '{:>6}'.format('ab') }} {{ 'ab' * 3 }} {{ [1, 2] * 2 }} {{ 2 ** 10 }} "
        "{{ 'a-b'|replace('-', '+') }} {{ range(3)|join(', ') }} {{ 'x'|center(5) }}|{{ [1, 2, 3]|batch(2)|list }} "
        "{{ [1, 2]|sum }} {{ _('%(n)s items', n=3) }} {{ 'Ab'.upper() }} {{ {'k': 1}.get('k') }}"
    )
    assert str(render_string(env, source, {}, "T")) == (
        "00042     ab ababab [1, 2, 1, 2] 1024 a+b 0, 1, 2   x  |[[1, 2], [3]] 3 3 items AB 1"
    )


def test_prose_compiled_at_run_time_is_capped(project: Path) -> None:
    edit(project / "templates" / "23LJ01" / "faq.html", "<h1>{{ title }}</h1>", "{{ text('{{ 1 }}' * 20000) }}")
    with pytest.raises(TemplateError, match=r"over a template limit: a prose string of 140,000 characters"):
        Renderer(load_campaign("23LJ01")).render("faq")


def test_kept_translations_follow_their_values_and_never_a_template_own_gettext(tmp_path: Path) -> None:
    """A translated message is kept by its values as their exact types, and a template's own ``gettext`` is
    never given (nor gives) a kept one."""
    from markupsafe import Markup

    from letters.i18n import Translations

    (tmp_path / "real.html").write_text("{{ _('Hello %(n)s', n=name) }}|{% trans n=name %}Hi {{ n }}{% endtrans %}")
    own_gettext = "{% macro gettext(s, n) %}OWN {{ s }} {{ n }}{% endmacro %}"
    (tmp_path / "own.html").write_text(own_gettext + "{{ _('Hello %(n)s', n=name) }}")
    env = make_environment([tmp_path], Translations("es", {"Hello %(n)s": "Hola %(n)s", "Hi %(n)s": "Hey %(n)s"},
                                                    strict=True))  # fmt: skip
    real, own = env.get_template("real.html"), env.get_template("own.html")
    assert own.render({"name": "Ana"}) == "OWN Hello %(n)s Ana"
    assert real.render({"name": "Ana"}) == "Hola Ana|Hey Ana"
    assert own.render({"name": "Ana"}) == "OWN Hello %(n)s Ana"
    assert real.render({"name": "<b>"}) == "Hola &lt;b&gt;|Hey &lt;b&gt;"
    assert real.render({"name": Markup("<b>")}) == "Hola <b>|Hey <b>"  # the same text, not escaped: its own entry
    assert real.render({"name": "<b>"}) == "Hola &lt;b&gt;|Hey &lt;b&gt;"
    assert real.render({"name": 7}) == "Hola 7|Hey 7"
