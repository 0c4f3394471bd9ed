"""click's own errors (what typer parses before a command runs) end as plotkit's do: one line."""

import pytest

from plotkit.cli.app import app


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["excite", "--steps", "1.5"], "Invalid value for '--steps': '1.5' is not a valid integer"),
        (["excite", "--no-such-option"], "No such option: --no-such-option"),
        (["no-such-command"], "No such command 'no-such-command'"),
        (["estimate"], "Missing argument 'SVG'"),
        (["excite", "--drawing-size"], "Option '--drawing-size' requires an argument"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args, problem, runner):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and problem in lines[0], result.stderr


def test_a_usage_error_says_where_the_options_are_listed(runner):
    result = runner.invoke(app, ["excite", "--steps", "1.5"], prog_name="plotkit")
    assert result.stderr.strip().endswith("see 'plotkit excite --help'"), result.stderr


def test_no_command_still_shows_the_help_and_help_and_version_exit_0(runner):
    assert "Usage: plotkit" in runner.invoke(app, [], prog_name="plotkit").output
    assert runner.invoke(app, ["excite", "--help"]).exit_code == 0
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("plotkit ")
