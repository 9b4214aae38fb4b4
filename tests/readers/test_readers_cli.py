"""`digest subscribers ...` in-process: exit codes and the exact words an organiser reads."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import FIXTURES

from digest.cli.main import cli
from digest.db import connect
from digest.readers import store as store

FIXTURE = FIXTURES / "subscribers.csv"
HEADER = "email,name,school,district,phases,setting,status\n"
GOOD_ROWS = [
    "a@school.example,A,Oak,Swale,primary,mainstream,",
    "b@school.example,B,Elm,Thanet,secondary,special,",
    "c@school.example,C,Ash,Dover,primary;secondary,mainstream,pending",
    "d@school.example,D,Yew,Medway,early years,independent,",
    "e@school.example,E,Fir,Ashford,post-16,mainstream,",
]


@pytest.fixture
def run(site_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(site_dir)

    def invoke(*args: str, input: str | None = None):
        return CliRunner().invoke(
            cli, ["--root", str(site_dir), "subscribers", *args], input=input, catch_exceptions=False
        )

    return invoke


@pytest.fixture
def db(site_dir: Path):
    def open_() -> sqlite3.Connection:
        return connect(site_dir / "var" / "digest.sqlite3")

    return open_


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def emails(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT email FROM subscribers ORDER BY id")]


def test_every_command_has_help() -> None:
    group = cli.commands["subscribers"]
    for name, command in [*group.commands.items(), ("serve", cli.commands["serve"])]:
        assert command.help, name
        result = CliRunner().invoke(cli, [*(["subscribers"] if name != "serve" else []), name, "--help"])
        assert result.exit_code == 0, name


def test_import_loads_every_row_with_consent_recorded(run, db, site_dir: Path) -> None:
    shutil.copy(FIXTURE, site_dir / "subscribers.csv")
    result = run("import", "subscribers.csv")
    assert result.exit_code == 0
    assert result.output == "Imported 6 readers from subscribers.csv (4 confirmed, 1 pending, 1 unsubscribed)\n"
    conn = db()
    dev = store.find(conn, "DEV@riverside.medway.sch.uk")
    assert dev.profile == store.Profile("Medway", ("primary",), "mainstream")  # names matched regardless of case
    assert (dev.name, dev.status) == ("Dev Patel, SENCO", "pending")
    ben = store.find(conn, "ben.okafor@hillview.kent.sch.uk")  # stored lower-case
    assert ben.profile.phases == ("secondary", "post-16")
    record = store.consent(conn, ben.id)
    assert record["consent_method"] == "import" and record["consent_at"] and record["consent_ip"] is None


def test_bad_district_on_line_7_is_named_and_nothing_imported(run, db, tmp_path: Path) -> None:
    bad = write(
        tmp_path / "bad.csv",
        HEADER + "\n".join([*GOOD_ROWS, "f@school.example,F,Box,Swalee,primary,mainstream,"]) + "\n",
    )
    result = run("import", str(bad))
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {bad}:7: district: 'Swalee' is not a district (did you mean 'Swale'?)\n"
        f"1 bad row in {bad}; nothing imported (fix it and import again, or use --skip-invalid to import the 5 good rows)\n"
    )
    assert emails(db()) == []


def test_skip_invalid_imports_the_good_rows_and_lists_the_bad(run, db, tmp_path: Path) -> None:
    rows = [
        *GOOD_ROWS[:2],
        "not-an-address,X,,Swale,primary,mainstream,",
        "g@school.example,G,,Swale,nursery,mainstream,maybe",
    ]
    bad = write(tmp_path / "bad.csv", HEADER + "\n".join(rows) + "\n")
    result = run("import", "--skip-invalid", str(bad))
    assert result.exit_code == 0
    assert result.stderr == (
        f"{bad}:4: email: 'not-an-address' is not an email address\n"
        f"{bad}:5: phases: 'nursery' is not a phase (use one of: early years, post-16, primary, secondary)\n"
        f"{bad}:5: status: 'maybe' is not a status (use one of: bounced, confirmed, pending, unsubscribed)\n"
    )
    assert result.stdout == f"Imported 2 readers from {bad} (2 confirmed)\nSkipped 2 bad rows (listed above).\n"
    assert emails(db()) == ["a@school.example", "b@school.example"]


def test_excel_csv_with_bom_crlf_and_capital_header(run, db, tmp_path: Path) -> None:
    text = (
        "\ufeffEmail,Name,School,District,Phases,Setting\r\n"
        + "\r\n".join(r.rsplit(",", 1)[0] for r in GOOD_ROWS[:2])
        + "\r\n"
    )
    result = run("import", str(write(tmp_path / "excel.csv", text)))
    assert result.exit_code == 0, result.output
    assert emails(db()) == ["a@school.example", "b@school.example"]


def test_duplicates_in_the_file_and_in_the_database(run, db, tmp_path: Path) -> None:
    run("add", "a@school.example", "--district", "Swale", "--phase", "primary", "--setting", "mainstream")
    text = HEADER + "\n".join([GOOD_ROWS[0].upper(), GOOD_ROWS[1], GOOD_ROWS[1].replace("Elm", "Elm2")]) + "\n"
    path = write(tmp_path / "dupes.csv", text)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"Error: {path}:2: email: a@school.example is already subscribed (use --skip-existing to leave existing readers "
        "as they are, or `digest subscribers set` to change one)",
        f"{path}:4: email: b@school.example appears again (first on line 3) (keep one row per address)",
    ]
    result = run("import", "--skip-existing", "--skip-invalid", str(path))
    assert (
        result.stdout
        == f"Imported 1 reader from {path} (1 confirmed)\nLeft 1 already subscribed as they were.\nSkipped 1 bad row (listed above).\n"
    )


def test_import_twice_with_skip_existing_changes_nothing(run, db, site_dir: Path) -> None:
    """What `make demo` relies on."""
    assert run("import", "--skip-existing", str(FIXTURE)).exit_code == 0
    again = run("import", "--skip-existing", str(FIXTURE))
    assert again.exit_code == 0
    assert again.output == f"Imported 0 readers from {FIXTURE}\nLeft 6 already subscribed as they were.\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("emial,district,phases,setting\n", "{f}:1: header: unknown column 'emial' (did you mean 'email'?)"),
        (
            "email,district,phases\n",
            "{f}:1: header: missing column 'setting' (the first line should be email,name,school,district,phases,setting,status)",
        ),
        ("", "{f} is empty (the first line should be the header email,name,school,district,phases,setting,status)"),
        (
            HEADER + "a@school.example,A,Oak,Swale,primary,mainstream\n",
            '{f}:2: row: has 6 values but the header has 7 (put a value that contains a comma in "double quotes")',
        ),
    ],
)
def test_file_shape_problems(run, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "f.csv", text)
    result = run("import", str(path))
    assert result.exit_code == 1
    assert message.format(f=path) in result.output
    assert "Traceback" not in result.output


def test_not_utf8_and_missing_file(run, tmp_path: Path) -> None:
    latin = write(tmp_path / "latin.csv", HEADER + "a@school.example,Zoë,,Swale,primary,mainstream,\n", "latin-1")
    result = run("import", str(latin))
    assert result.exit_code == 1
    assert result.output == f"Error: {latin}:2: not UTF-8 text (in Excel use Save As > 'CSV UTF-8 (Comma delimited)')\n"
    result = run("import", str(tmp_path / "nope.csv"))
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'nope.csv'} does not exist\n")


def test_line_breaks_in_a_name_are_refused(run, tmp_path: Path) -> None:
    path = write(
        tmp_path / "crlf.csv", HEADER + 'a@school.example,"Amy\nBcc: x@evil.example",Oak,Swale,primary,mainstream,\n'
    )
    result = run("import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: name: contains line breaks or control characters" in result.output


def test_export_and_import_round_trip(run, db, site_dir: Path, tmp_path: Path) -> None:
    run("import", str(FIXTURE))
    run("set", "amy.lee@oakfield.kent.sch.uk", "--pause", "--name", '=HYPERLINK("http://evil.example")')
    out = tmp_path / "export.csv"
    result = run("export", "--out", str(out))
    assert (result.exit_code, result.output) == (0, f"Exported 6 readers to {out}\n")
    assert out.stat().st_mode & 0o777 == 0o600  # personal data: the owner's only
    text = out.read_text()
    assert text.splitlines()[0] == "email,name,school,district,phases,setting,status,paused,suppressed,suppressed_since"
    assert (
        'amy.lee@oakfield.kent.sch.uk,"\'=HYPERLINK(""http://evil.example"")",Oakfield Primary,Swale,primary,mainstream,confirmed,yes'
        in text
    )
    assert run("export").output == text  # standard output: the same CSV

    fresh = tmp_path / "fresh.sqlite3"
    other = CliRunner(env={"DIGEST_DB": str(fresh)}).invoke(
        cli, ["--root", str(site_dir), "subscribers", "import", str(out)]
    )
    assert other.exit_code == 0, other.output
    again = CliRunner(env={"DIGEST_DB": str(fresh)}).invoke(cli, ["--root", str(site_dir), "subscribers", "export"])
    assert again.output == text
    amy = store.find(connect(fresh), "amy.lee@oakfield.kent.sch.uk")
    assert amy.paused and amy.name == '=HYPERLINK("http://evil.example")'


def test_export_one_status(run) -> None:
    run("import", str(FIXTURE))
    assert run("export", "--status", "pending").output.splitlines()[1:] == [
        'dev@riverside.medway.sch.uk,"Dev Patel, SENCO",Riverside Primary,Medway,primary,mainstream,pending,no,,'
    ]


def test_add_list_and_set(run) -> None:
    result = run(
        "add",
        "Zed@School.Example",
        "--district",
        "swale",
        "--phase",
        "primary;secondary",
        "--setting",
        "Special",
        "--name",
        "Zed",
    )
    assert (result.exit_code, result.output) == (
        0,
        "Added zed@school.example (confirmed): a primary and secondary special school in Swale\n",
    )
    result = run("set", "zed@school.example", "--district", "Thanet", "--pause")
    assert (
        result.output
        == "Updated zed@school.example (confirmed, paused): a primary and secondary special school in Thanet\n"
    )
    result = run("list")
    assert result.output == (
        "     1  zed@school.example                       confirmed (paused)    Thanet · primary; secondary · special\n1 reader\n"
    )
    # several settings, as for phases: an independent special school is both
    result = run("set", "zed@school.example", "--settings", "independent;special")
    assert result.output == (
        "Updated zed@school.example (confirmed, paused): a primary and secondary independent special school in Thanet\n"
    )
    assert "Thanet · primary; secondary · special; independent" in run("list").output
    assert (
        run("export").output.splitlines()[1].endswith(",Thanet,primary;secondary,special;independent,confirmed,yes,,")
    )  # not suppressed
    assert run("set", "zed@school.example", "--settings", "special;indepndent").output == (
        "Error: --settings: 'indepndent' is not a setting (did you mean 'independent'?)\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add", "x@school.example", "--district", "Swalee", "--phase", "primary", "--setting", "mainstream"],
            "Error: --district: 'Swalee' is not a district (did you mean 'Swale'?)\n",
        ),
        (
            ["add", "x@school.example", "--district", "Swale", "--phase", "primry", "--setting", "mainstream"],
            "Error: --phase: 'primry' is not a phase (did you mean 'primary'?)\n",
        ),
        (
            ["add", "nobody", "--district", "Swale", "--phase", "primary", "--setting", "mainstream"],
            "Error: EMAIL: 'nobody' is not an email address\n",
        ),
        (
            [
                "add",
                "x@school.example",
                "--district",
                "Swale",
                "--phase",
                "primary",
                "--setting",
                "mainstream",
                "--status",
                "gone",
            ],
            "Error: --status: 'gone' is not one of pending, confirmed, unsubscribed, bounced\n",
        ),
        (
            ["set", "who@school.example", "--pause"],
            "Error: no reader has the address who@school.example (see `digest subscribers list`)\n",
        ),
    ],
)
def test_mistakes_name_the_option(run, db, args: list[str], message: str) -> None:
    db().close()  # the database is there: only the option is wrong
    result = run(*args)
    assert (result.exit_code, result.output) == (1, message)


def test_remove_erases_everything_but_a_hash(run, db, site_dir: Path) -> None:
    run("import", str(FIXTURE))
    assert run("remove", "cara@willowbank.kent.sch.uk", input="n\n").exit_code == 1  # asks first
    result = run("remove", "Cara@Willowbank.kent.sch.uk", "--yes")
    assert result.output == (
        "Erased cara@willowbank.kent.sch.uk: their details are deleted; a one-way hash of the address is kept so it is never mailed again.\n"
    )
    conn = db()
    assert "cara@willowbank.kent.sch.uk" not in emails(conn)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in (site_dir / "var").glob("digest.sqlite3*"))
    assert b"willowbank" not in raw.lower() and b"Cara Singh" not in raw  # gone from the file, not only hidden
    assert store.is_suppressed(conn, "cara@willowbank.kent.sch.uk")
    # never again by accident: not by add, not by import
    result = run(
        "add", "cara@willowbank.kent.sch.uk", "--district", "Swale", "--phase", "primary", "--setting", "mainstream"
    )
    assert result.output == "Error: EMAIL: this address asked to be erased and is never mailed again\n"
    result = run("import", "--skip-existing", str(FIXTURE))
    assert (
        f"{FIXTURE}:4: email: cara@willowbank.kent.sch.uk asked to be erased and is never mailed again (remove the row)"
        in result.output
    )
    assert result.exit_code == 1


def test_database_file_comes_from_digest_db(site_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "readers.sqlite3"
    runner = CliRunner(env={"DIGEST_DB": str(target)})

    def subscribers(*args: str):
        return runner.invoke(cli, ["--root", str(site_dir), "subscribers", *args])

    # a path that names no database is a mistake to correct, not a new, empty list of readers
    for command in (["list"], ["export"], ["set", "a@school.example", "--pause"], ["remove", "a@x.example", "--yes"]):
        result = subscribers(*command)
        assert result.exit_code == 1, command
        assert result.output.startswith(
            f"Error: the database {target} does not exist (from the environment variable DIGEST_DB={target})."
        ), result.output
    assert not target.parent.exists()
    # adding a reader makes it, on purpose
    added = subscribers(
        "add", "a@school.example", "--district", "Swale", "--phase", "primary", "--setting", "mainstream"
    )
    assert added.exit_code == 0, added.output
    assert (subscribers("list").exit_code, subscribers("list").output.splitlines()[-1]) == (0, "1 reader")
    assert target.exists() and not (site_dir / "var" / "digest.sqlite3").exists()
