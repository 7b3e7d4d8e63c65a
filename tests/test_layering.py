"""Architecture rules of ../shared/GUIDE.md that a test can enforce."""

from __future__ import annotations

import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return set(out.split())


def test_import_symfisher_is_cheap() -> None:
    mods = _modules_after("import symfisher")
    assert "sympy" not in mods
    assert "numba" not in mods


def test_numeric_layer_does_not_import_sympy() -> None:
    code = (
        "import pkgutil, importlib, symfisher.numeric as n\n"
        "for m in pkgutil.walk_packages(n.__path__, n.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
    )
    mods = _modules_after(code)
    assert "sympy" not in mods, "a module under symfisher.numeric imports sympy"


def test_public_names_resolve() -> None:
    import symfisher

    missing = []
    for name in symfisher.__all__:
        try:
            getattr(symfisher, name)
        except (ImportError, AttributeError) as exc:
            missing.append(f"{name}: {exc}")
    assert not missing, "public names that do not resolve:\n" + "\n".join(missing)


def test_cli_help_lists_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "symfisher", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "tour" in out.stdout


def test_no_public_function_shares_a_name_with_a_subpackage() -> None:
    """``import symfisher.X`` rebinds ``symfisher.X`` to the module, which would shadow a
    lazily imported function of the same name (``sf.verify``, ``sf.laplace``, ...)."""
    import pkgutil

    import symfisher

    modules = {m.name for m in pkgutil.iter_modules(symfisher.__path__)}
    clashes = [name for name, (_, attr) in symfisher._LAZY.items() if attr is not None and name in modules]
    assert not clashes, f"public functions shadowed by submodules of the same name: {clashes}"
