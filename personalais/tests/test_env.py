from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from personalais.env import env_bool, env_int, env_list, env_str, env_url


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG='ture' is not a boolean"):
        env_bool("SOME_FLAG", False)


def test_env_bool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "Yes")
    assert env_bool("SOME_FLAG", False) is True
    monkeypatch.setenv("SOME_FLAG", "0")
    assert env_bool("SOME_FLAG", True) is False


def test_env_int_refuses_text_and_values_below_the_minimum(monkeypatch):
    monkeypatch.setenv("SOME_PORT", "eighty")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("SOME_PORT", 1)
    monkeypatch.setenv("SOME_PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("SOME_PORT", 1, minimum=1)


def test_a_required_secret_without_value_is_an_error(monkeypatch):
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.delenv("SOME_SECRET_FILE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="Set the environment variable SOME_SECRET"):
        env_str("SOME_SECRET")


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.delenv("SOME_SECRET", raising=False)
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_str("SOME_SECRET") == "s3cret"


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]


def test_env_url_adds_the_trailing_slash_urljoin_needs_and_refuses_non_urls(monkeypatch):
    monkeypatch.setenv("API_URL", "https://api.spotify.com/v1")
    assert env_url("API_URL", "http://x/") == "https://api.spotify.com/v1/"
    monkeypatch.setenv("API_URL", "api.spotify.com")
    with pytest.raises(ImproperlyConfigured, match="not an http"):
        env_url("API_URL", "http://x/")
