"""Runs `rasa data validate` and fails on any warning that is not explained below.

Each allowed warning carries the reason it is expected; anything else (a typo in a rule, an intent
without examples, a response nobody uses) fails the build.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXPLAINED_WARNINGS = {
    r"duplicated intents have been found across multiple domain files: faq$": (
        "domain.yml lists faq so that rules may use it; Rasa's ResponsesSyncImporter adds faq again for the "
        "retrieval responses and warns about its own merge."
    ),
    r"The utterance 'utter_faq' is not used in any story or rule": (
        "Rasa adds utter_faq for the faq retrieval intent; action_answer_faq answers instead, because it "
        "also cites the source and offers related topics."
    ),
    r"The intent '(set_reminder|list_reminders|cancel_reminder|start_recheck)' is listed in the domain file, "
    r"but is not found in the NLU training data": (
        "a command (data/commands.yml) or a button gives it, never the classifier: another label lowered the "
        "held-out intent accuracy under its gate (data/nlu/reminders.yml says by how much)."
    ),
}
UNUSED_RESPONSE = re.compile(r"The utterance '(?P<name>utter_[\w/]+)' is not used in any story or rule")
ACTIONS_DIR = Path(__file__).resolve().parent.parent / "actions"
COMPONENTS_DIR = ACTIONS_DIR.parent / "components"
WARNING_LINE = re.compile(r"(UserWarning|WARNING|FutureWarning): (?P<message>.*)")


def explain_unused_response(message: str) -> str | None:
    """A response that Rasa calls unused is fine when an action sends it or the form asks it."""
    match = UNUSED_RESPONSE.search(message)
    if not match:
        return None
    name = match.group("name")
    if name.startswith("utter_ask_checkin_"):
        return "check_in_form asks it for its requested slot; the validator does not follow forms."
    if name.startswith("utter_ask_recheck_"):
        return "recheck_form asks it for its requested slot; the validator does not follow forms."
    if any(f'"{name}"' in path.read_text() for path in ACTIONS_DIR.glob("*.py")):
        return "a custom action in actions/ sends it; the validator does not look into actions."
    if any(f'"{name}"' in path.read_text() for path in COMPONENTS_DIR.rglob("*.py")):
        return "a channel in components/ sends it; the validator does not look into channels."
    return None


def main() -> int:
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run([str(rasa), "data", "validate"], capture_output=True, text=True)
    output = result.stdout + result.stderr
    unexplained = []
    for match in WARNING_LINE.finditer(output):
        message = match.group("message").strip()
        if "DeprecationWarning" in match.group(0):
            continue
        reason = next(
            (why for pattern, why in EXPLAINED_WARNINGS.items() if re.search(pattern, message)), None
        ) or explain_unused_response(message)
        if reason:
            print(f"expected warning: {message}\n  because: {reason}")
        else:
            unexplained.append(message)
    for message in unexplained:
        print(f"UNEXPLAINED WARNING: {message}")
    if result.returncode != 0:
        print(output[-3000:])
        print(f"rasa data validate failed (exit {result.returncode})")
        return 1
    if unexplained:
        print(f"{len(unexplained)} unexplained warning(s): fix them or explain them in {__file__}")
        return 1
    print("rasa data validate: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
