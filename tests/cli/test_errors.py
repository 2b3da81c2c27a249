"""The CLI's error contract (hftree/cli/_errors.py): one table, one line, one prefix, the right exit code."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from hftree.cli import _errors
from hftree.cli._common import ApiChoices, _ListChoices
from hftree.cli.main import build_parser
from hftree.errors import (
    FetchArgumentError,
    HftreeError,
    InputFormatError,
    ParameterError,
    SnapshotError,
    UsageError,
)
from tests.conftest import rec, write_jsonl

CLI = Path(__file__).resolve().parents[2] / "hftree" / "cli"


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    from hftree.ingest import import_sources

    d = tmp_path_factory.mktemp("errors")
    recs = [rec("org/base", "license:mit")] + [rec(f"me/ft{i}", "base_model:finetune:org/base") for i in range(3)]
    import_sources([write_jsonl(d / "m.jsonl", recs)]).save(d / "snap")
    return d / "snap"


def one_line(r, code: int, *expected: str) -> str:
    """``r`` exited with ``code``; stderr is one ``hftree: error:`` line holding ``expected``; no stdout."""
    assert r.code == code, r
    assert r.err.startswith("hftree: error: ") and r.err.count("\n") == 1, r.err
    assert "Traceback" not in r.err and r.out == ""
    for text in expected:
        assert text in r.err, r.err
    return r.err


@pytest.mark.parametrize(("argv", "expected"), [
    (["families", "{snap}", "--columns", "root,bogus"], "argument --columns: invalid choice: 'bogus'"),
    (["adoption", "{snap}", "--min-descendants", "-3"], "argument --min-descendants: expected a whole number >= 0"),
    (["adoption", "{snap}", "--min-size", "0"], "argument --min-size: expected a positive whole number, got '0'"),
    (["import", "{snap}/../m.jsonl", "-o", "{snap}2", "--snapshot-time", "garbage"],
     "argument --snapshot-time: expected a date or date-time such as 2025-01-31, got 'garbage'"),
    (["families", "{snap}", "--format", "parquet"], "--format parquet needs -o FILE"),
    (["families", "{snap}", "--top", "-3"], "argument --top: expected a positive whole number, got '-3'"),
    (["families", "{snap}", "--min-size", "-5"], "argument --min-size: expected a positive whole number, got '-5'"),
    (["drift", "{snap}", "--trait", "task", "--top-k", "1"], "argument --top-k: expected a whole number >= 2"),
    (["drift", "{snap}", "--trait", "card", "--table", "flow"], "--table flow does not apply to --trait card"),
    (["kernels", "a.npy", "-o", "o", "--pairs", "some"], "argument --pairs: invalid choice: 'some'"),
    (["inherit", "{snap}", "--kinships", "twins"], "argument --kinships: invalid choice: 'twins'"),
    (["inherit", "{snap}", "--weighting", "equal"], "argument --weighting: invalid choice: 'equal'"),
    (["fetch", "-o", "x", "--workers", "0"], "argument --workers: expected a positive whole number"),
    (["fetch", "--limit", "5"], "give -o SNAPSHOT_DIR"),
    (["import", "-o", "x"], "give at least one INPUT"),
    (["families"], "the following arguments are required: SNAPSHOT"),
    (["families", "{snap}", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["no-such-command"], "invalid choice: 'no-such-command'"),
    ([], "give a COMMAND, one of demo, import"),
])
def test_usage_errors_are_one_line_exit_2(cli, snap, argv, expected):
    err = one_line(cli(*[a.replace("{snap}", str(snap)) for a in argv]), 2, expected)
    assert "--help')" in err  # every usage error says where to read more


def test_an_api_parameter_error_names_the_cli_option(cli, snap, monkeypatch):
    import hftree.families

    def family_stats(G, **kw):
        raise ParameterError("min_size", "a whole number >= 1", kw["min_size"], hint="the root counts")

    monkeypatch.setattr(hftree.families, "family_stats", family_stats)
    err = one_line(cli("families", snap, "--min-size", "3"), 2)
    assert err == ("hftree: error: argument --min-size: expected a whole number >= 1, got 3; the root counts "
                   "(see 'hftree families --help')\n")


def test_an_api_parameter_error_under_another_name_maps_to_the_option(cli, snap, monkeypatch):
    import hftree.families

    def family_stats(G, **kw):
        raise ParameterError("min_descendants", "a whole number >= 0", -1)

    monkeypatch.setattr(hftree.families, "family_stats", family_stats)
    one_line(cli("families", snap), 2, "argument --min-size: expected a whole number >= 0, got -1")


def test_failures_exit_1_and_interrupts_130(cli, snap, tmp_path, monkeypatch):
    one_line(cli("families", tmp_path / "nope"), 1, "not a snapshot directory")
    one_line(cli("adoption", "--counts", tmp_path / "none.csv"), 1, "none.csv: no such file")
    import hftree.families

    def interrupted(G, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(hftree.families, "family_stats", interrupted)
    assert one_line(cli("families", snap), 130) == "hftree: error: interrupted\n"


def test_a_bug_keeps_its_traceback(cli, snap, monkeypatch):
    import hftree.families

    def broken(G, **kw):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(hftree.families, "family_stats", broken)
    with pytest.raises(ZeroDivisionError):
        cli("families", snap)


@pytest.mark.parametrize(("exc", "code", "message"), [
    (ParameterError("top", "a positive whole number", -3), 2,
     "argument --top: expected a positive whole number, got -3"),
    (ParameterError("n_bootstraps", "a whole number >= 1", 0), 2,
     "argument --n-boot: expected a whole number >= 1, got 0"),
    (ParameterError("internal_knob", "a float", "x"), 2, "internal_knob: expected a float, got 'x'"),
    (FetchArgumentError("resume and restart exclude each other"), 2, "resume and restart exclude each other"),
    (UsageError("give -o"), 2, "give -o"),
    (InputFormatError("bad line", path="m.jsonl", line=3), 1, "m.jsonl:3: bad line"),
    (SnapshotError("a\nb"), 1, "a b"),
    (FileNotFoundError(2, "No such file or directory", "x.csv"), 1, "x.csv: No such file or directory"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_the_table(exc, code, message):
    options = {"": "hftree fetch", "top": "--top", "n_boot": "--n-boot"}
    see = " (see 'hftree fetch --help')" if code == 2 else ""
    assert _errors.handle(exc, options) == (code, message + see)


def test_the_table_covers_every_hftree_error_and_subclasses_come_first():
    seen: list[type[BaseException]] = []
    for rule in _errors.ERRORS:
        assert not any(issubclass(rule.error, earlier) for earlier in seen), f"{rule.error} is shadowed"
        seen.append(rule.error)
    assert _errors.handle(HftreeError("x")) == (1, "x")


def _all_actions():
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, p in sub.choices.items():
        for action in p._actions:
            yield name, p, action


def test_every_api_choice_resolves_and_holds_its_default():
    """choices= come from the API's Literal types: each must still exist, and the default be one of them."""
    checked = 0
    for name, _, action in _all_actions():
        choices = action.item_choices if isinstance(action, _ListChoices) else action.choices
        if isinstance(choices, ApiChoices):
            assert len(choices) > 0, (name, action.dest)
            defaults = action.default if isinstance(action.default, list) else [action.default]
            assert all(d is None or d in choices for d in defaults), (name, action.dest, action.default)
            checked += 1
    assert checked >= 15


def test_relation_choices_are_the_schema_relations():
    from typing import get_args

    from hftree.schema import RELATIONS, Relation

    assert list(ApiChoices("hftree.schema", "Relation")) == list(get_args(Relation)) == list(RELATIONS)


def test_one_spelling_per_knob_old_ones_hidden():
    """Same knob, same option in every command; old spellings parse but are not listed in --help."""
    visible: dict[str, set[str]] = {}
    hidden: dict[str, set[str]] = {}
    for _, _, action in _all_actions():
        for flag in action.option_strings:
            (hidden if action.help == argparse.SUPPRESS else visible).setdefault(flag, set()).add(action.dest)
    for flag in ("--boot", "--seed", "--bootstraps", "--top-k", "--min-descendants", "--n-values"):
        assert flag not in visible and flag in hidden, flag
    for flag, dest in (("--n-boot", "n_boot"), ("--random-state", "random_state"), ("--top", "top"),
                       ("--min-size", "min_size"), ("--relation", "relation")):
        assert visible[flag] == {dest}, flag
    assert hidden["--boot"] == {"n_boot"} and hidden["--seed"] == {"random_state"}


def test_old_spellings_still_work(cli, snap):
    new = cli("drift", snap, "--trait", "task", "--top", "3", "--n-boot", "5", "--random-state", "1",
              "--format", "csv")
    old = cli("drift", snap, "--trait", "task", "--top-k", "3", "--boot", "5", "--seed", "1", "--format", "csv")
    assert new.code == old.code == 0 and new.out == old.out


def test_min_descendants_is_min_size_minus_one(cli, snap):
    """--min-descendants N (old) == --min-size N+1: the family counts its root."""
    for old, new in (("3", "4"), ("4", "5")):
        a = cli("adoption", snap, "--min-descendants", old, "--relation", "finetune", "--format", "csv")
        b = cli("adoption", snap, "--min-size", new, "--relation", "finetune", "--format", "csv")
        assert (a.code, a.out, a.err) == (b.code, b.out, b.err)


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and (getattr(n.func, "id", None) == name or getattr(n.func, "attr", None) == name)]


@pytest.mark.parametrize("path", sorted(CLI.glob("*.py")), ids=lambda p: p.name)
def test_usage_errors_are_raised_not_printed(path):
    """No SystemExit with a message, no parser.error, no hand-made 'error:' line: raise UsageError."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert not [c.lineno for c in _calls(tree, "SystemExit") if c.args], "raise UsageError instead"
    if path.name != "_errors.py":
        assert not [c.lineno for c in _calls(tree, "error")], "raise UsageError instead of parser.error"
    for call in _calls(tree, "print"):
        text = ast.unparse(call)
        assert path.name == "_errors.py" or ("error:" not in text and "warning:" not in text), text


def test_error_and_warning_lines_escape_control_characters(capsys):
    from hftree.cli._errors import error_line, warning_line

    error_line("model 'evil/\x1b]0;pwned\x07' is not in the lineage graph")
    warning_line("id evil/\x1b[2J cleared")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b]0;pwned\\x07" in err and "\\x1b[2J" in err
