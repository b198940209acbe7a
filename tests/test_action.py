"""The GitHub Action (`action.yml`): its shape, and its lint steps run locally as the runner runs them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lintkit import book

ACTION = Path(__file__).parents[1] / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _action() -> dict:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


def test_action_is_a_composite_action_with_documented_inputs() -> None:
    action = _action()
    assert action["name"] and action["description"]
    assert action["runs"]["using"] == "composite"
    for name, spec in action["inputs"].items():
        assert spec["description"] and "default" in spec, name
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, never interpolated into the script"
        for expression in EXPRESSION.findall(json.dumps(step)):
            for name in re.findall(r"inputs\.([\w-]+)", expression):
                assert name in action["inputs"], name


def _run_step(step: dict, inputs: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a `run:` step as the runner does: `${{ inputs.x }}` in `env` replaced, bash, `mlsys-lint` on PATH."""
    def value(expression: str) -> str:
        match = re.fullmatch(r"inputs\.([\w-]+)", expression)
        return inputs[match.group(1)] if match else ""

    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    env.update({key: EXPRESSION.sub(lambda m: value(m.group(1)), str(raw)) for key, raw in step.get("env", {}).items()})
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True)


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps run in bash")
def test_action_lint_steps_run_locally(tmp_path: Path) -> None:
    root = book(tmp_path / "repo", {"index.qmd": "# T\n\nSee @fig-missing.\n"})
    steps = {step.get("name"): step for step in _action()["runs"]["steps"]}
    inputs = {name: str(spec["default"]) for name, spec in _action()["inputs"].items()}
    inputs.update(sarif="true")
    sarif = _run_step(steps["Write SARIF"], inputs, root)
    assert sarif.returncode == 0, sarif.stderr
    document = json.loads((root / "mlsys-lint.sarif").read_text())
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["XR001"]
    lint = _run_step(steps["Lint"], inputs, root)
    assert lint.returncode == 1
    assert lint.stdout.startswith("::error file=index.qmd,line=3")
    subprocess.run([sys.executable, "-m", "mlsys_lint", "--write-baseline", ".mlsys-lint-baseline.json", "--no-cache"],
                   cwd=root, capture_output=True, check=True)
    passed = _run_step(steps["Lint"], {**inputs, "baseline": ".mlsys-lint-baseline.json"}, root)
    assert passed.returncode == 0, passed.stdout + passed.stderr
