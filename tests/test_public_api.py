"""Every public function and class of the three packages has a docstring.

Public means: a name in a package's ``__all__``, and every function or class
defined at module level, without a leading underscore, in a public module
(one whose name has no leading underscore).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

PACKAGES = ("alrnn_tasks", "agents", "analysis")


def public_modules(package):
    module = importlib.import_module(package)
    names = [package]
    for info in pkgutil.iter_modules(module.__path__, prefix=f"{package}."):
        if not info.name.rpartition(".")[2].startswith("_"):
            names.append(info.name)
    return sorted(names)


MODULES = [name for package in PACKAGES for name in public_modules(package)]


def public_objects(module_name):
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    if exported is not None:
        for name in exported:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield name, obj
    for name, obj in vars(module).items():
        if name.startswith("_") or not (
            inspect.isfunction(obj) or inspect.isclass(obj)
        ):
            continue
        if getattr(obj, "__module__", None) == module_name:
            yield name, obj


def documented(obj):
    # Not inspect.getdoc: it falls back to a base class's docstring. A dataclass
    # without a docstring gets its signature as __doc__, which does not count.
    doc = (obj.__doc__ or "").strip()
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return False
    return bool(doc)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_exports_something(package):
    assert importlib.import_module(package).__all__


@pytest.mark.parametrize("module_name", MODULES)
def test_module_has_a_docstring(module_name):
    doc = importlib.import_module(module_name).__doc__
    assert doc and doc.strip(), f"{module_name} has no module docstring"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_function_and_class_has_a_docstring(module_name):
    missing = sorted(
        {name for name, obj in public_objects(module_name) if not documented(obj)}
    )
    assert missing == [], f"{module_name}: no docstring on {missing}"
