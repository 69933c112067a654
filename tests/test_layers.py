"""Dependencies point one way. Each module's imports (at the top or inside functions) are
read from its source, and no module may import from a room above its own:

    pure rules (domain.calendar, schedule, validators, markdown, spreadsheets)
    ← models ← mail and alerts ← workflow and the sweep (domain) ← public site, admin

Mail and alerts sit on one level: the mail room builds alert emails with alerts' tokens,
and alerts queue mail. Nothing below the public site or the admin imports either.
"""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "commitments"
PURE = ["domain.calendar", "domain.schedule", "domain.validators", "domain.markdown"]
PURE += ["domain.spreadsheets", "domain.site", "domain.reply_tokens", "domain.amounts"]
LEVELS = [
    PURE,
    ["models"],
    ["mail", "alerts"],
    ["domain"],  # workflow, the sweep, demo data and their tasks
    # What people use: pages, forms and the admin, the subscriber side's included.
    ["public", "admin", "templatetags", "management", "migrations"]
    + ["alerts.admin", "alerts.views", "alerts.urls", "alerts.forms"],
]


def level_of(module):
    """The level of ``commitments.<module>``: its longest matching room wins."""
    best = None
    for level, rooms in enumerate(LEVELS):
        for room in rooms:
            if (module == room or module.startswith(room + ".")) and (
                best is None or len(room) > len(best[1])
            ):
                best = (level, room)
    return best[0] if best else None


def imports_of(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("commitments.")
        ):
            base = node.module.removeprefix("commitments.")
            if not (APP / base.replace(".", "/")).is_dir():  # a package is only a folder
                yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "commitments":
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("commitments."):
                    yield alias.name.removeprefix("commitments.")


MODULES = sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(APP)))
def test_no_module_imports_from_a_room_above_its_own(path):
    module = ".".join(path.relative_to(APP).with_suffix("").parts).removesuffix(".__init__")
    own = level_of(module)
    if own is None:
        return  # apps.py and the package itself: wiring, not a room
    above = sorted(
        {name for name in imports_of(path) if (level_of(name) or 0) > own},
    )
    assert above == [], f"commitments.{module} imports {above}"
