"""docs/donnees-personnelles.md ties each processing to the code and the test that hold it
(issue 27, « Done when »): every file, test and code name it cites must exist, so that the
DPO's document cannot drift from the code unnoticed."""

import importlib
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings

DOC = Path(settings.BASE_DIR) / "docs" / "donnees-personnelles.md"
APPS = ("ground", "familles", "inscriptions", "reservations", "facturation", "portail")
FILE = re.compile(r"^(?:[\w.-]+/)+[\w.-]+\.(?:py|html|txt|sh|yml|md|json)$")
TEST = re.compile(r"^((?:[\w.-]+/)+[\w.-]+\.py|…)::(\w+)(?:::(\w+))?$")
CODE = re.compile(rf"^(?:{'|'.join(APPS)})(?:\.\w+)+$")


def cited() -> list[str]:
    return re.findall(r"`([^`\n]+)`", DOC.read_text())


def is_permission(name: str) -> bool:
    """app_label.codename of a permission a model of that app declares (its Meta's, or the
    default add/change/delete/view ones): what the document says staff need."""
    app_label, _, codename = name.partition(".")
    for model in apps.get_app_config(app_label).get_models():
        options = model._meta
        declared = {code for code, _label in options.permissions}
        declared |= {f"{action}_{options.model_name}" for action in options.default_permissions}
        if codename in declared:
            return True
    return False


def resolves(name: str) -> bool:
    """A dotted module path to a module, class, function or attribute, app.Model[.field], or
    app.permission_codename."""
    if name.count(".") == 1 and is_permission(name):
        return True
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                found = getattr(found, part)
        except AttributeError:
            break
        return True
    try:
        model = apps.get_model(parts[0], parts[1])
    except (LookupError, IndexError):
        return False
    rest = parts[2:]
    return not rest or (len(rest) == 1 and (
        hasattr(model, rest[0]) or any(f.name == rest[0] for f in model._meta.get_fields())))


def test_every_file_test_and_code_name_the_dpo_document_cites_exists():
    base = Path(settings.BASE_DIR)
    missing, checked, last_file = [], 0, None
    for text in cited():
        test = TEST.match(text)
        if test:
            path = last_file if test[1] == "…" else test[1]
            last_file = path
            source = (base / path).read_text() if path and (base / path).exists() else ""
            names = [n for n in test.groups()[1:] if n]
            if not all(re.search(rf"^\s*(?:def|class) {n}\b", source, re.M) for n in names):
                missing.append(text)
            checked += 1
        elif FILE.match(text):
            if not (base / text).exists():
                missing.append(text)
            checked += 1
        elif CODE.match(text):
            if not resolves(text):
                missing.append(text)
            checked += 1
    assert checked, "the document cites no file, test or code name"
    assert missing == [], f"cited in {DOC.name} but not found: {missing}"


def test_the_check_itself_catches_what_does_not_exist():
    assert resolves("familles.retention.purge_expired_documents")
    assert resolves("inscriptions.FamilyQuotient.source_document")
    assert not resolves("familles.retention.no_such_function")
    assert not resolves("inscriptions.NoSuchModel")
    assert resolves("inscriptions.view_health_data") and resolves("familles.view_letter")
    assert not resolves("inscriptions.view_no_such_data")
