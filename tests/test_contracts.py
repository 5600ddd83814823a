"""The dependency rules of the code (pyproject.toml, [tool.importlinter]) hold, and bite.

`lint-imports` runs in `make lint` (and so in CI). These tests run it too: on the tree
as it is, and on a copy of the tree with one forbidden import written into it, which
must fail naming the rule it breaks. A last test reads the views and admin pages and
refuses writes that go around the services.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "config",
    "accounts",
    "privacy",
    "idempotency",
    "webhooks",
    "shelters",
    "arrivals",
    "spreadsheets",
    "meals",
    "demo",
)


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """`lint-imports` of the venv running these tests, over the packages found in `tree`."""
    return subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
            "--no-logo",
            str(tree / "pyproject.toml"),
        ],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "", "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    for name in APPS:
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "contract", "says"),
    [
        (
            "shelters/services.py",
            "from arrivals.models import Party",
            "Apps depend one way",
            "shelters is not allowed to import arrivals",
        ),
        (
            "meals/__init__.py",
            "import demo",
            "Apps depend one way",
            "meals is not allowed to import demo",
        ),
        (
            "arrivals/services.py",
            "from spreadsheets.cells import cell_safe",
            "Apps depend one way",
            "arrivals is not allowed to import spreadsheets",
        ),
        (
            "accounts/models.py",
            "from privacy.fields import EncryptedTextField",
            "Apps depend one way",
            "accounts is not allowed to import privacy",
        ),
        (
            "config/exceptions.py",
            "from shelters.models import Space",
            "config is beneath the apps",
            "config is not allowed to import shelters",
        ),
        (
            "webhooks/services.py",
            "from shelters.models import City",
            "Apps depend one way",
            "webhooks is not allowed to import shelters",
        ),
        (
            "arrivals/matching/model.py",
            "from django.db import models",
            "The matching engine is plain Python",
            "arrivals.matching is not allowed to import django",
        ),
        (
            "arrivals/matching/engine.py",
            "from arrivals import selectors",
            "The matching engine is plain Python",
            "arrivals.matching is not allowed to import arrivals.selectors",
        ),
        (
            "arrivals/services.py",
            "from .tasks import matching_run",
            "Services, selectors and models do not import their callers",
            "arrivals.services is not allowed to import arrivals.tasks",
        ),
        (
            "shelters/selectors.py",
            "from shelters import services",
            "Selectors and models only read",
            "shelters.selectors is not allowed to import shelters.services",
        ),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tree_copy, module, line, contract, says):
    path = tree_copy / module
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")

    result = lint_imports(tree_copy)

    assert result.returncode != 0
    assert f"{contract}" in result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and says in broken, result.stdout


def test_services_send_the_matching_task_by_the_name_it_is_registered_under():
    """arrivals.services enqueues by name (it may not import its tasks): the name must be
    the task's."""
    from arrivals import services, tasks
    from config.celery import app

    assert app.tasks[services.MATCHING_RUN_TASK].name == tasks.matching_run.name


def test_webhooks_send_their_tasks_by_the_names_they_are_registered_under():
    from config.celery import app
    from webhooks import services, tasks

    assert app.tasks[services.DELIVER_TASK].name == tasks.delivery_send.name
    assert app.tasks[services.DISPATCH_TASK].name == tasks.deliveries_send.name


# --- Views write through services -------------------------------------------------------

# Django's queryset and manager methods that write.
MANAGER_WRITES = {
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
}
# Admin hooks whose default saves the model itself, around the services.
ADMIN_DEFAULT_WRITES = {"save_model", "delete_model", "save_formset", "save_related"}
ENTRY_MODULES = ("views.py", "web_views.py", "admin.py", "api.py")


def _chain(node: ast.AST) -> list[ast.AST]:
    """`a.objects.filter(x).update` -> the nodes under it: attributes and calls."""
    nodes = []
    while isinstance(node, ast.Attribute | ast.Call):
        nodes.append(node)
        node = node.value if isinstance(node, ast.Attribute) else node.func
    nodes.append(node)
    return nodes


def _is_super_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


def writes_around_services(source: str) -> list[tuple[int, str]]:
    """(line, what) of each write in `source` that does not go through a service."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        below = _chain(node.func.value)
        through_manager = any(
            isinstance(part, ast.Attribute) and part.attr == "objects" for part in below
        )
        if method in MANAGER_WRITES and through_manager:
            found.append((node.lineno, f".objects...{method}()"))
        elif method == "save":
            found.append((node.lineno, ".save()"))
        elif method in ADMIN_DEFAULT_WRITES and _is_super_call(node.func.value):
            found.append((node.lineno, f"super().{method}()"))
    return found


def entry_modules() -> list[Path]:
    return sorted(
        path for name in APPS for path in (ROOT / name).rglob("*.py") if path.name in ENTRY_MODULES
    )


def test_the_check_sees_writes():
    source = (
        "Party.objects.create(code='X')\n"
        "Space.objects.filter(id=1).update(beds=3)\n"
        "Token.objects.get_or_create(user=user)\n"
        "space.save()\n"
        "super().save_model(request, obj, form, change)\n"
        "Party.objects.filter(id=1).exists()\n"
        "services.space_update(space_id=1, data={})\n"
        "data.update(other)\n"
    )
    assert [line for line, _what in writes_around_services(source)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("path", entry_modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_views_and_admin_write_only_through_services(path):
    """A view or an admin page calls a service to write: never a model's manager, `save()`,
    or the admin's default save (which would skip the services' locks and checks)."""
    assert writes_around_services(path.read_text()) == []
