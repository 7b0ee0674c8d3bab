"""deploy/ stays true to the code: the proxy's body limit is the OpenRosa limit, every setting the
example environment names exists, and every command a systemd unit runs is a real `shoudi` command."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.config import SETTINGS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DEFAULTS = {s.name: s.default for s in SETTINGS}


def test_proxy_body_limit_is_the_openrosa_limit():
    conf = (DEPLOY / "nginx" / "shoudi.conf").read_text()
    assert re.findall(r"client_max_body_size (\d+);", conf) == [str(DEFAULTS["MAX_BODY_BYTES"])]
    env = (DEPLOY / "shoudi.env.example").read_text()
    assert f"SHOUDI_MAX_BODY_BYTES={DEFAULTS['MAX_BODY_BYTES']}" in env


def test_example_environment_names_only_real_settings():
    env = (DEPLOY / "shoudi.env.example").read_text()
    named = set(re.findall(r"^#?SHOUDI_([A-Z0-9_]+)=", env, flags=re.M))
    assert named and named <= set(DEFAULTS)


@pytest.mark.parametrize("unit", sorted(p.name for p in (DEPLOY / "systemd").glob("*.service")))
def test_units_run_real_commands(unit):
    from server import plugins
    from server.cli import cli

    for command in plugins.cli_commands():
        cli.add_command(command)
    text = (DEPLOY / "systemd" / unit).read_text()
    [exec_start] = re.findall(r"^ExecStart=(.+)$", text, flags=re.M)
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/shoudi")
    args = [a for a in argv[1:] if not a.startswith("/")]   # paths (backup destination) left out
    result = CliRunner().invoke(cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "EnvironmentFile=/etc/shoudi/shoudi.env" in text
