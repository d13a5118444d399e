"""Parity (a): a template must expose the solution's public names with identical signatures."""
from dfkit.curriculum import parity

SOLUTION = '''
LIMIT = 3
def crop(frame, box, margin=1.3): ...
class Net(Base):
    def __init__(self, width=8): ...
    def forward(self, x): ...
    def _private(self): ...
'''


def test_identical_api_has_no_problems():
    assert parity.compare(SOLUTION, SOLUTION) == []


def test_changed_signature_missing_name_and_bad_syntax_are_reported():
    template = SOLUTION.replace("margin=1.3", "margin=1.5").replace("LIMIT = 3", "")
    problems = parity.compare(SOLUTION, template)
    assert problems == ["LIMIT is missing (the solution defines LIMIT)",
                        "crop: expected (frame, box, margin=1.3), got (frame, box, margin=1.5)"]
    assert parity.compare(SOLUTION, "def crop(:\n")[0].startswith("does not parse")


def test_private_names_are_not_part_of_the_api():
    assert "Net._private" not in parity.public_api(SOLUTION)
    assert parity.public_api(SOLUTION)["Net.__init__"] == "(self, width=8)"
