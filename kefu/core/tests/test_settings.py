"""Settings helpers: the generated secret key and secrets read from files."""

from __future__ import annotations

import stat

from django.conf import settings as django_settings

import config.settings as kefu_settings


def test_secret_key_is_generated_once_with_mode_0600_and_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(kefu_settings, "DATA_DIR", tmp_path)
    key = kefu_settings._generated_secret_key()
    path = tmp_path / "secret_key"
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 64
    assert path.read_text(encoding="utf-8").strip() == key
    assert kefu_settings._generated_secret_key() == key
    assert kefu_settings._generated_secret_key() == key


def test_each_data_folder_gets_its_own_key(tmp_path, monkeypatch):
    keys = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        monkeypatch.setattr(kefu_settings, "DATA_DIR", folder)
        keys.append(kefu_settings._generated_secret_key())
    assert keys[0] != keys[1]


def test_an_existing_key_file_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(kefu_settings, "DATA_DIR", tmp_path)
    (tmp_path / "secret_key").write_text("kept-secret\n", encoding="utf-8")
    assert kefu_settings._generated_secret_key() == "kept-secret"
    assert (tmp_path / "secret_key").read_text(encoding="utf-8") == "kept-secret\n"


def test_secret_from_environment_or_file(tmp_path, monkeypatch):
    monkeypatch.delenv("KEFU_TEST_SECRET", raising=False)
    monkeypatch.delenv("KEFU_TEST_SECRET_FILE", raising=False)
    assert kefu_settings._env_secret("KEFU_TEST_SECRET") is None
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("from-file\n", encoding="utf-8")
    monkeypatch.setenv("KEFU_TEST_SECRET_FILE", str(secret_file))
    assert kefu_settings._env_secret("KEFU_TEST_SECRET") == "from-file"
    monkeypatch.setenv("KEFU_TEST_SECRET", "from-env")
    assert kefu_settings._env_secret("KEFU_TEST_SECRET") == "from-env"


def test_env_bool(monkeypatch):
    for value, expected in [
        ("1", True),
        ("true", True),
        (" Yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("", False),
        ("nope", False),
    ]:
        monkeypatch.setenv("KEFU_TEST_FLAG", value)
        assert kefu_settings._env_bool("KEFU_TEST_FLAG", True) is expected
    monkeypatch.delenv("KEFU_TEST_FLAG")
    assert kefu_settings._env_bool("KEFU_TEST_FLAG", True) is True
    assert kefu_settings._env_bool("KEFU_TEST_FLAG", False) is False


def test_running_settings_have_a_secret_key_and_safe_defaults():
    assert len(django_settings.SECRET_KEY) >= 50
    assert django_settings.SESSION_COOKIE_HTTPONLY
    assert django_settings.X_FRAME_OPTIONS == "DENY"
    assert [code for code, _name in django_settings.LANGUAGES] == ["en", "zh-hans"]
