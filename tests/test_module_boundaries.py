"""The packages of admin_app keep their private modules to themselves, and views (the
SQLAdmin room) and pages (the shell pages) do not import each other."""

from __future__ import annotations

import re

from tests.support import ROOT

PACKAGES = [path.name for path in (ROOT / "admin_app").iterdir() if (path / "__init__.py").exists()]
IMPORT = re.compile(r"^\s*(?:from|import) admin_app\.(\w+)(?:\.(\w+)| import (\w+))?", re.M)


def imports_of(package: str | None) -> list[tuple[str, str, str]]:
    """(file, imported package, imported module) for every admin_app import outside ``package``."""
    found = []
    for path in sorted((ROOT / "admin_app").rglob("*.py")):
        inside = path.relative_to(ROOT / "admin_app").parts[0]
        if inside == package:
            continue
        for match in IMPORT.finditer(path.read_text()):
            target, module = match.group(1), match.group(2) or match.group(3) or ""
            if target in PACKAGES:
                found.append((str(path.relative_to(ROOT)), target, module))
    return found


def test_no_module_imports_another_packages_private_module() -> None:
    crossing = [
        (path, f"{package}.{module}")
        for path, package, module in imports_of(None)
        if module.startswith("_") and not path.startswith(f"admin_app/{package}/")
    ]
    assert crossing == []


def test_views_and_pages_do_not_import_each_other() -> None:
    cycle = [
        (path, package)
        for path, package, _ in imports_of(None)
        if (path.startswith("admin_app/views/") and package == "pages")
        or (path.startswith("admin_app/pages/") and package == "views")
    ]
    assert cycle == []
