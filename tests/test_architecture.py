"""The house's one-way order (DESIGN.md, "Architecture"), read from the source itself.

Layers, lowest first: the ground, familles, inscriptions, reservations, facturation, and the
roof (`portail/`). A module may use its own layer and lower ones, never a higher one: the
ground uses no app, no app uses the roof. Read with the standard library's `ast` and a few
regular expressions; nothing is imported nor run.

- Python: every `.py` under the six packages, migrations included. Every `import x` and
  `from x import y`, function-local ones too, relative ones resolved against the module's
  package. The ways to reach another app without an import: a dotted name in a string (a
  model label as in `ForeignKey("facturation.Invoice")`, a permission, a module or task
  path), `apps.get_model("facturation", "Invoice")`, a URL named through Django's shortcuts
  (`reverse("ns:name")`, `redirect("home")`), a template named by its path
  (`"facturation/invoice.html"`), and a migration's `dependencies`.
- Templates: a template belongs to an app when it sits in `templates/<app>/`,
  `templates/admin/<app>/` or `<app>/templates/`. The shared `templates/` folder is the
  ground's (allauth's pages, form errors, e-mails, the staff-decision forms), except the
  layouts that gather every app, which are the roof's: `base.html`, whose navigation names
  the apps' pages, the error pages that extend it, and the admin's `base_site.html` and
  `index.html`. Every page extends `base.html` by name: that is the layout's contract with
  the apps, not an arrow to one of them. A template may not name a URL of a higher layer
  (`{% url 'ns:name' %}` belongs to the app whose namespace is `ns`, `admin:<app>_<model>_…`
  to `<app>`, a name without namespace given in `portail/urls.py`, such as `home`, to the
  roof; Django's admin site's own names and allauth's belong to no layer), nor extend or
  include a template of a higher app's folder.

The checker's own tests, at the end, build small trees with arrows upwards and show that it
reports each one, so that a clean report means something.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("ground", "familles", "inscriptions", "reservations", "facturation", "portail")
RANK = {layer: rank for rank, layer in enumerate(LAYERS)}
GROUND, ROOF = LAYERS[0], LAYERS[-1]

# The shared templates that gather every app (see the module's docstring).
ROOF_TEMPLATES = {"base.html", "400.html", "403.html", "403_csrf.html", "404.html", "405.html",
                  "413.html", "429.html", "500.html", "admin/base_site.html", "admin/index.html"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml", ".ics"}

# {% url 'name' %} in Django's language, url('name') in Jinja2's (templates/jinja2/).
URL_TAG = re.compile(r"""(?:\{%\s*url\s+|\burl\(\s*)(['"])(?P<name>[^'"]+)\1""")
TEMPLATE_TAG = re.compile(r"""\{%\s*(?:extends|include)\s+(['"])(?P<name>[^'"]+)\1""")
TEMPLATE_PATH = re.compile(r"^[\w/.-]+\.(?:html|txt|xml|ics)$")
URL_FUNCTIONS = {"reverse", "reverse_lazy", "redirect", "resolve_url"}
DOTTED = re.compile(r"^[a-z_]+(?:\.[A-Za-z_]\w*)+$")


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    message: str
    kind: str  # "import", "name", "url", "template" or "migration"

    def __str__(self) -> str:
        return f"{self.path}:{self.line} {self.message}"


def report(violations) -> str:
    return "\n".join(str(violation) for violation in sorted(violations))


def layer_of(dotted: str) -> str | None:
    """The layer of a module or app label (`facturation.models` → facturation)."""
    first = dotted.split(".")[0]
    return first if first in RANK else None


def above(layer: str, other: str | None) -> bool:
    return other is not None and RANK[other] > RANK[layer]


# --- What a Python module names --------------------------------------------------------------

def module_name(root: Path, path: Path) -> tuple[str, bool]:
    """The dotted name of a source file under `root`, and whether it is a package's
    `__init__`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def resolve(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """The absolute name that `from <level dots><target> import …` stands for inside
    `module`; None when the dots climb above the top package."""
    if level == 0:
        return target
    package = module.split(".") if is_package else module.split(".")[:-1]
    if level > len(package):
        return None
    base = package[:len(package) - level + 1]
    return ".".join([*base, *([target] if target else [])])


def imports(tree: ast.AST, module: str, is_package: bool):
    """(line, absolute module name) for every import of the tree, wherever it stands; a
    relative import that cannot be resolved keeps its dots."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, (resolve(module, is_package, node.level, node.module)
                                or "." * node.level + (node.module or ""))


def url_names(tree: ast.AST):
    """(line, name) for every URL named as Django's shortcuts take it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            function = getattr(node.func, "attr", getattr(node.func, "id", None))
            first = node.args[0]
            if (function in URL_FUNCTIONS and isinstance(first, ast.Constant)
                    and isinstance(first.value, str) and "/" not in first.value):
                yield node.lineno, first.value


def template_names(tree: ast.AST):
    """(line, name) for every string of the module that reads as a template's path."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and TEMPLATE_PATH.match(node.value)):
            yield node.lineno, node.value


def dotted_names(tree: ast.AST):
    """(line, name) for every string of the module that is a dotted name (a module, a model
    label as `ForeignKey("app.Model")` takes it, a permission, a task), and every app label
    given to `apps.get_model("app", "Model")`: the ways to reach another app without an
    import."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and DOTTED.match(node.value)):
            yield node.lineno, node.value
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get_model"
              and len(node.args) == 2 and isinstance(node.args[0], ast.Constant)):
            yield node.lineno, f"{node.args[0].value}.{getattr(node.args[1], 'value', '?')}"


def migration_dependencies(tree: ast.AST):
    """(line, app label) for every `("app", "migration")` of a migration's `dependencies`."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign)
                and any(getattr(target, "id", None) == "dependencies"
                        for target in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)):
            for item in node.value.elts:
                if (isinstance(item, ast.Tuple) and item.elts
                        and isinstance(item.elts[0], ast.Constant)):
                    yield item.lineno, str(item.elts[0].value)


# --- Who owns a URL or a template ------------------------------------------------------------

def roof_url_names(root: Path) -> set[str]:
    """The names given in the roof's URLconf outside any namespace (`name="home"`)."""
    tree = ast.parse((root / ROOF / "urls.py").read_text(encoding="utf-8"))
    return {keyword.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            for keyword in node.keywords
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)}


def url_layer(name: str, roof_names: set[str]) -> str | None:
    """The layer owning a URL name; None for Django's admin site and third parties."""
    namespace, _, rest = name.rpartition(":")
    if not namespace:
        return ROOF if name in roof_names else None
    if namespace == "admin":
        return layer_of(rest.split("_")[0])
    return layer_of(namespace.split(":")[0])


def template_owner(name: str) -> str | None:
    """The app whose folder holds a template (`facturation/…`, `admin/facturation/…`)."""
    first, *rest = name.split("/")
    if first == "admin" and len(rest) > 1:
        first, *rest = rest
    return first if first in RANK and rest else None


def template_layer(name: str, folder_layer: str | None) -> str:
    """The layer a template belongs to (see the module's docstring)."""
    return (template_owner(name) or folder_layer
            or (ROOF if name in ROOF_TEMPLATES else GROUND))


# --- The files -------------------------------------------------------------------------------

def python_files(root: Path):
    for layer in LAYERS:
        for path in sorted((root / layer).rglob("*.py")):
            yield layer, path


def template_files(root: Path):
    """(layer of the folder or None, name as Django looks it up, path) of every template."""
    jinja = root / "templates" / "jinja2"  # the Jinja2 backend's own folder
    folders = [(None, root / "templates"), (None, jinja),
               *((layer, root / layer / "templates") for layer in LAYERS)]
    for folder_layer, folder in folders:
        for path in sorted(folder.rglob("*")):
            if folder != jinja and path.is_relative_to(jinja):
                continue
            if path.is_file() and path.suffix in TEMPLATE_SUFFIXES:
                yield folder_layer, path.relative_to(folder).as_posix(), path


def python_violations(root: Path) -> list[Violation]:
    roof_names = roof_url_names(root)
    violations = []
    for layer, path in python_files(root):
        module, is_package = module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = str(path.relative_to(root))

        def upwards(owner, message, kind, line, layer=layer, where=where):
            if above(layer, owner):
                violations.append(Violation(where, line, f"{message} ({layer} < {owner})",
                                            kind))

        for line, name in imports(tree, module, is_package):
            if name.startswith("."):
                violations.append(Violation(
                    where, line, f"imports {name}, above the top package", "import"))
            upwards(layer_of(name), f"imports higher-layer module {name}", "import", line)
        for line, name in dotted_names(tree):
            upwards(layer_of(name), f"names {name} of higher layer {layer_of(name)}", "name",
                    line)
        for line, url in url_names(tree):
            owner = url_layer(url, roof_names)
            upwards(owner, f"names URL '{url}' of higher layer {owner}", "url", line)
        for line, name in template_names(tree):
            owner = template_owner(name)
            upwards(owner, f"names template {name} of higher layer {owner}", "template", line)
        if "migrations" in path.parts:
            for line, app in migration_dependencies(tree):
                upwards(layer_of(app), f"depends on a migration of higher-layer app {app}",
                        "migration", line)
    return violations


def template_violations(root: Path) -> list[Violation]:
    roof_names = roof_url_names(root)
    violations = []
    for folder_layer, name, path in template_files(root):
        layer = template_layer(name, folder_layer)
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(root))

        def named(pattern: re.Pattern, text=text):
            for match in pattern.finditer(text):
                yield text.count("\n", 0, match.start()) + 1, match["name"]

        for line, url in named(URL_TAG):
            owner = url_layer(url, roof_names)
            if above(layer, owner):
                violations.append(Violation(
                    where, line, f"names URL '{url}' of higher layer {owner} ({layer} < "
                                 f"{owner})", "url"))
        for line, other in named(TEMPLATE_TAG):
            owner = template_owner(other)
            if above(layer, owner):
                violations.append(Violation(
                    where, line, f"uses template {other} of higher layer {owner} ({layer} < "
                                 f"{owner})", "template"))
    return violations


# --- The house -------------------------------------------------------------------------------

def test_the_checker_reads_the_whole_house():
    """A wrong root or pattern would find nothing to object to: the checker must see every
    layer, its modules, their imports and the templates."""
    files = list(python_files(ROOT))
    assert {layer for layer, _path in files} == set(LAYERS)
    assert len(files) > 100, len(files)
    assert {layer for layer, path in files if "migrations" in path.parts} == set(LAYERS)
    app_imports = [name for _layer, path in files
                   for _line, name in imports(ast.parse(path.read_text(encoding="utf-8")),
                                              *module_name(ROOT, path))
                   if layer_of(name)]
    assert len(app_imports) > 200, len(app_imports)
    templates = list(template_files(ROOT))
    assert len(templates) > 100, len(templates)
    assert {template_layer(name, folder) for folder, name, _path in templates} == set(LAYERS)
    assert {"home", "faq"} <= roof_url_names(ROOT)


def test_no_module_imports_a_higher_layer():
    violations = [v for v in python_violations(ROOT) if v.kind == "import"]
    assert not violations, "imports against the one-way order:\n" + report(violations)


def test_no_module_names_a_higher_layer():
    violations = [v for v in python_violations(ROOT) if v.kind in {"name", "url", "template"}]
    assert not violations, "names against the one-way order:\n" + report(violations)


def test_no_migration_depends_on_a_higher_app():
    violations = [v for v in python_violations(ROOT) if v.kind == "migration"]
    assert not violations, "migrations against the one-way order:\n" + report(violations)


def test_no_template_names_a_higher_layer():
    violations = template_violations(ROOT)
    assert not violations, "templates against the one-way order:\n" + report(violations)


# --- The checker catches what it must --------------------------------------------------------

def house(root: Path, files: dict[str, str]) -> Path:
    """A tiny project under `root`: the six layers, and the given files."""
    for layer in LAYERS:
        (root / layer).mkdir(parents=True, exist_ok=True)
    (root / ROOF / "urls.py").write_text('urlpatterns = [path("", home, name="home")]\n')
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def lines(violations) -> list[str]:
    return [str(violation) for violation in sorted(violations)]


def test_the_checker_reports_absolute_and_function_local_imports_upwards(tmp_path):
    root = house(tmp_path, {
        "familles/x.py": "import datetime\n\nfrom facturation.models import Invoice\n",
        "familles/views.py": ("from . import forms\nfrom .models import Family\n\n"
                              "def page():\n    import reservations.services\n"),
        "ground/outbox.py": "from django.conf import settings\nfrom familles import models\n",
        "inscriptions/services/__init__.py": "from ground import outbox\nimport familles\n",
        "portail/views.py": "from facturation import views\nfrom ground import outbox\n",
        "reservations/rules.py": "if True:\n    from portail.settings import base\n",
    })
    assert lines(python_violations(root)) == [
        "familles/views.py:5 imports higher-layer module reservations.services "
        "(familles < reservations)",
        "familles/x.py:3 imports higher-layer module facturation.models "
        "(familles < facturation)",
        "ground/outbox.py:2 imports higher-layer module familles (ground < familles)",
        "reservations/rules.py:2 imports higher-layer module portail.settings "
        "(reservations < portail)",
    ]


def test_the_checker_resolves_relative_imports(tmp_path):
    """Resolved against its package, `..models` is the app's own module; a relative import
    climbing out of its app (which Python refuses) is reported rather than dropped."""
    assert resolve("familles.views.pages", False, 1, "helpers") == "familles.views.helpers"
    assert resolve("familles.views.pages", False, 2, None) == "familles"
    assert resolve("familles.views", True, 1, "pages") == "familles.views.pages"
    assert resolve("familles.views", True, 2, "models") == "familles.models"
    assert resolve("familles.x", False, 2, "facturation") is None
    root = house(tmp_path, {
        "familles/views/pages.py": "from ..models import Family\nfrom .forms import F\n",
        "reservations/services/__init__.py": "from .. import rules\nfrom . import booking\n",
        "inscriptions/services/enrolments.py": "from ...facturation.models import Invoice\n",
    })
    assert lines(python_violations(root)) == [
        "inscriptions/services/enrolments.py:1 imports ...facturation.models, above the top "
        "package"]


def test_the_checker_reports_models_urls_and_templates_named_upwards_in_python(tmp_path):
    root = house(tmp_path, {
        "familles/views.py": (
            'from django.shortcuts import redirect\n\n'
            'def page(request):\n'
            '    redirect("familles:family")\n'
            '    redirect("home")\n'
            '    urls.reverse("reservations:calendar", args=[1])\n'
            '    render(request, "facturation/invoices.html")\n'
            '    render(request, "familles/family.html")\n'
            '    outbox.send(template="emails/invitation_body.txt")\n'
            '    user.has_perm("reservations.view_attendance")\n'
            '    user.has_perm("familles.view_child")\n'),
        "familles/models.py": (
            'invoice = models.ForeignKey("facturation.Invoice", on_delete=models.CASCADE)\n'
            'child = models.ForeignKey("familles.Child", on_delete=models.CASCADE)\n'),
        "inscriptions/migrations/0003_x.py": (
            'def forwards(apps, schema_editor):\n'
            '    apps.get_model("inscriptions", "Activity")\n'
            '    apps.get_model("reservations", "Slot")\n'),
        "portail/views.py": 'redirect("facturation:invoices")\n',
    })
    assert lines(python_violations(root)) == [
        "familles/models.py:1 names facturation.Invoice of higher layer facturation "
        "(familles < facturation)",
        "familles/views.py:5 names URL 'home' of higher layer portail (familles < portail)",
        "familles/views.py:6 names URL 'reservations:calendar' of higher layer reservations "
        "(familles < reservations)",
        "familles/views.py:7 names template facturation/invoices.html of higher layer "
        "facturation (familles < facturation)",
        "familles/views.py:10 names reservations.view_attendance of higher layer "
        "reservations (familles < reservations)",
        "inscriptions/migrations/0003_x.py:3 names reservations.Slot of higher layer "
        "reservations (inscriptions < reservations)",
    ]


def test_the_checker_reports_a_migration_that_imports_or_depends_upwards(tmp_path):
    root = house(tmp_path, {"inscriptions/migrations/0002_x.py": (
        "from django.db import migrations\n"
        "import reservations.fields\n\n"
        "class Migration(migrations.Migration):\n"
        "    dependencies = [\n"
        "        ('inscriptions', '0001_initial'),\n"
        "        ('familles', '0001_initial'),\n"
        "        ('facturation', '0003_attestations'),\n"
        "    ]\n")})
    assert lines(python_violations(root)) == [
        "inscriptions/migrations/0002_x.py:2 imports higher-layer module reservations.fields "
        "(inscriptions < reservations)",
        "inscriptions/migrations/0002_x.py:8 depends on a migration of higher-layer app "
        "facturation (inscriptions < facturation)",
    ]


def test_the_checker_reports_templates_naming_higher_urls_or_templates(tmp_path):
    root = house(tmp_path, {
        "templates/base.html": "{% url 'facturation:invoices' %} {% url 'home' %}",
        "templates/includes/menu.html": "{% url 'account_login' %}\n{% url 'home' %}",
        "templates/familles/family.html": (
            '{% extends "base.html" %}\n{% url "familles:family" %} {% url "admin:index" %}\n'
            "{% url 'reservations:calendar' child.pk %}\n"
            '{% include "facturation/balance.html" %}\n'),
        "templates/admin/inscriptions/enrolment/list.html": (
            "{% url 'admin:familles_child_change' 1 %}\n"
            "{% url 'admin:facturation_invoice_changelist' %}"),
        "reservations/templates/day.html": "{% url 'inscriptions:home' %}\n{% url 'faq' %}",
        "ground/templates/ground/outbox.html": "{% url 'admin:ground_outboxmessage_changelist' %}"
                                               "\n{% url 'admin:familles_family_changelist' %}",
    })
    assert lines(template_violations(root)) == [
        "ground/templates/ground/outbox.html:2 names URL 'admin:familles_family_changelist' "
        "of higher layer familles (ground < familles)",
        "templates/admin/inscriptions/enrolment/list.html:2 names URL "
        "'admin:facturation_invoice_changelist' of higher layer facturation "
        "(inscriptions < facturation)",
        "templates/familles/family.html:3 names URL 'reservations:calendar' of higher layer "
        "reservations (familles < reservations)",
        "templates/familles/family.html:4 uses template facturation/balance.html of higher "
        "layer facturation (familles < facturation)",
        "templates/includes/menu.html:2 names URL 'home' of higher layer portail "
        "(ground < portail)",
    ]
