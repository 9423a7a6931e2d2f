"""The layers hold: checked by import-linter against `[tool.importlinter]` in pyproject.toml."""
from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "hamilton_nb"
MAX_LINES = 400


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    """import-linter's verdict on the package found in ``source_root``."""
    runner = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", runner, "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=source_root, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(source_root), "PATH": "/usr/bin:/bin"})


def test_layers_point_down_and_no_package_has_an_import_circle():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_an_upward_import_or_a_circle_fails_and_names_the_import(tmp_path):
    shutil.copytree(PACKAGE, tmp_path / "hamilton_nb", ignore=shutil.ignore_patterns("__pycache__", "labextension"))
    dag = tmp_path / "hamilton_nb" / "graph" / "dag.py"
    dag.write_text(dag.read_text() + "\nfrom ..session import frontends  # an arrow pointing up\n")
    engine = tmp_path / "hamilton_nb" / "execution" / "cache.py"
    engine.write_text(engine.read_text() + "\nfrom . import engine  # a circle: the engine imports the cache\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "hamilton_nb.graph.dag -> hamilton_nb.session.frontends" in result.stdout
    assert "No cycles are allowed in hamilton_nb.execution" in result.stdout


def test_every_module_of_the_package_sits_in_a_layer_folder():
    layers = _contract_layers()
    loose = [p.name for p in PACKAGE.glob("*.py") if p.stem not in (*layers, "__init__", "htypes")]
    assert not loose, f"modules outside the layer folders: {loose}"
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} <= set(layers)


def test_no_package_file_is_longer_than_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by job: {long}"


def test_the_readme_diagram_is_the_contract_the_tests_enforce():
    readme = (ROOT / "README.md").read_text()
    diagram = re.search(r"```text\n\s*(notebook .*?)```", readme, re.S).group(1)
    drawn = [line.split()[0] for line in diagram.splitlines() if line.strip() and not line.strip().startswith("↓")]
    assert drawn == _contract_layers()


def _contract_layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c["layers"] for c in config["contracts"] if c["type"] == "layers")


def test_executors_use_only_the_public_run_protocol():
    """Executors see a run through its public steps protocol, never the engine behind it."""
    from hamilton_nb.execution.run import Run

    allowed = {n for n in dir(Run) if not n.startswith("_")}
    allowed |= {"steps", "values", "memo", "report", "wanted", "remote", "watched", "guards"}
    used = set()
    for module in ("executors", "dask_executor"):
        tree = ast.parse((PACKAGE / "execution" / f"{module}.py").read_text())
        used |= {node.attr for node in ast.walk(tree)
                 if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "run"}
    assert used, "the executors were not read"
    assert used <= allowed, f"executors reach past the run protocol: {sorted(used - allowed)}"
