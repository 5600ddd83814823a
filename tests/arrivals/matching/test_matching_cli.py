"""``python -m arrivals.matching`` and the instance format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from arrivals.matching import instance_from_json, instance_to_json

ROOT = Path(__file__).resolve().parents[3]

INSTANCE = {
    "spaces": [
        {
            "id": "s1",
            "shelter": "h1",
            "beds": 3,
            "admits": "anyone",
            "wheelchair_accessible": True,
            "pets_allowed": False,
        },
        {
            "id": "s2",
            "shelter": "h1",
            "beds": 2,
            "admits": "families",
            "wheelchair_accessible": False,
            "pets_allowed": False,
        },
    ],
    "parties": [
        {
            "id": "p1",
            "waiting_since": "2022-09-27T18:05:00+05:00",
            "pets": 0,
            "members": [
                {"sex": "female", "age_group": "adult", "needs": []},
                {"sex": "male", "age_group": "child", "needs": []},
            ],
        },
        {
            "id": "p2",
            "waiting_since": "2022-09-27T13:00:00Z",
            "pets": 0,
            "members": [{"sex": "male", "age_group": "adult", "needs": ["wheelchair"]}],
        },
        {
            "id": "p3",
            "waiting_since": "2022-09-27T18:10:00+05:00",
            "pets": 1,
            "members": [{"sex": "male", "age_group": "adult"}],
        },
    ],
}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "arrivals.matching", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_cli_prints_the_answer(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(INSTANCE))
    done = run_cli(str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "placements": [{"party": "p2", "space": "s1"}, {"party": "p1", "space": "s2"}],
        "unplaced": [{"party": "p3", "reason": "no_pet_friendly_space"}],
        "weight": 5,
    }


def test_cli_reads_standard_input():
    done = run_cli("-", stdin=json.dumps(INSTANCE))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["weight"] == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad instance"),
        (json.dumps({"spaces": []}), "'parties' must be a list"),
        (json.dumps({**INSTANCE, "spaces": [{"id": "s1"}]}), "spaces[0]: missing 'shelter'"),
    ],
)
def test_cli_bad_file_exits_2_with_a_message(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    done = run_cli(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_missing_file_and_usage(tmp_path):
    done = run_cli(str(tmp_path / "nowhere.json"))
    assert done.returncode == 2
    assert "cannot read" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli()
    assert done.returncode == 2
    assert "usage" in done.stderr


def test_instance_round_trip():
    spaces, parties = instance_from_json(INSTANCE)
    assert [s.id for s in spaces] == ["s1", "s2"]
    assert parties[2].members[0].needs == ()
    again = instance_from_json(instance_to_json(spaces, parties))
    assert again == (spaces, parties)


def _with(path: list, value) -> dict:
    data = json.loads(json.dumps(INSTANCE))
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "an instance is an object"),
        (_with(["spaces"], {}), "'spaces' must be a list"),
        (_with(["spaces", 0, "beds"], "3"), "spaces[0]: beds must be an integer"),
        (_with(["spaces", 0, "beds"], True), "spaces[0]: beds must be an integer"),
        (_with(["spaces", 0, "admits"], "dogs"), "admits must be one of"),
        (_with(["spaces", 0, "pets_allowed"], 1), "pets_allowed must be true or false"),
        (_with(["spaces", 1, "id"], "s1"), "duplicate space id 's1'"),
        (_with(["parties", 1, "id"], "p1"), "duplicate party id 'p1'"),
        (_with(["parties", 0, "id"], ""), "id must be a non-empty string"),
        (_with(["parties", 0, "waiting_since"], "yesterday"), "not an ISO 8601"),
        (_with(["parties", 0, "waiting_since"], "2022-09-27T18:05:00"), "needs a UTC offset"),
        (_with(["parties", 0, "members"], []), "members must be a list of 1 to 30"),
        (
            _with(["parties", 0, "members"], [{"sex": "male", "age_group": "adult"}] * 31),
            "members must be a list of 1 to 30",
        ),
        (_with(["parties", 0, "members", 0, "sex"], "x"), "parties[0].members[0]: sex"),
        (_with(["parties", 0, "members", 0, "age_group"], "teen"), "age_group must be"),
        (_with(["parties", 0, "members", 0, "needs"], ["cake"]), "each need must be"),
        (_with(["parties", 0, "members", 0, "needs"], "wheelchair"), "needs must be a list"),
        (_with(["parties", 0, "pets"], -1), "pets must be between 0 and 10"),
        (_with(["parties", 0, "pets"], 11), "pets must be between 0 and 10"),
        (_with(["parties", 0, "members"], KeyError), "parties[0]: missing 'members'"),
    ],
)
def test_instance_from_json_rejects_bad_input(data, message):
    with pytest.raises(ValueError) as error:
        instance_from_json(data)
    assert message in str(error.value)
