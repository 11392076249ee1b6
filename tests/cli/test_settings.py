"""Settings precedence (flag > env > file > default), provenance and masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tastemaker.cli import cli
from tastemaker.config import Config
from tastemaker.errors import ConfigError


def test_precedence_flag_env_file_default(tmp_path: Path) -> None:
    toml = tmp_path / "tastemaker.toml"
    toml.write_text('port = 7000\nhost = "0.0.0.0"\npartitions = 4\n')
    env = {"TASTEMAKER_PORT": "7100", "TASTEMAKER_HOST": "10.0.0.1"}
    config = Config.load({"port": 7200}, env=env, toml_path=toml)
    assert (config["port"], config.source("port")) == (7200, "flag")
    assert (config["host"], config.source("host")) == ("10.0.0.1", "env TASTEMAKER_HOST")
    assert (config["partitions"], config.source("partitions")) == (4, f"file {toml}")
    assert (config["max_batch_events"], config.source("max_batch_events")) == (1000, "default")


def test_data_dir_expands_in_urls() -> None:
    config = Config.load({"data_dir": "/srv/tm"}, env={})
    assert config["event_log_url"] == "sqlite:////srv/tm/events.db"


@pytest.mark.parametrize(
    ("env", "message"),
    [({"TASTEMAKER_PORT": "eighty"}, "port from env TASTEMAKER_PORT: 'eighty' is not a valid int")],
)
def test_invalid_values_say_where_they_came_from(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.load(env=env)


def test_bad_file_is_a_clear_error(tmp_path: Path) -> None:
    toml = tmp_path / "t.toml"
    toml.write_text("prot = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Config.load(env={}, toml_path=toml)
    toml.write_text("port = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        Config.load(env={}, toml_path=toml)


def test_settings_command_shows_sources_and_masks_secrets(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"TASTEMAKER_ADMIN_TOKEN": "s3cret-value", "TASTEMAKER_PORT": "9000"}
    result = runner.invoke(cli, ["--data-dir", str(tmp_path), "settings"], env=env, obj={})
    assert result.exit_code == 0, result.output
    assert "s3cret-value" not in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert "********" in lines["admin_token"] and "(env TASTEMAKER_ADMIN_TOKEN)" in lines["admin_token"]
    assert "9000  (env TASTEMAKER_PORT)" in lines["port"]
    assert f"{tmp_path}  (flag)" in lines["data_dir"]


def test_cli_config_error_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["settings"], env={"TASTEMAKER_PORT": "x"}, obj={})
    assert result.exit_code == 1
    assert "Error: port from env TASTEMAKER_PORT" in result.output
    assert "Traceback" not in result.output
