"""Production static files (KEFU_STATIC_HASHED): collected with content-hashed names and
compressed copies, served by WhiteNoise with a year-long immutable cache and gzip/brotli."""

from __future__ import annotations

import gzip

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

HASHED_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    from django.test import override_settings

    with override_settings(
        STATIC_ROOT=root, STORAGES=HASHED_STORAGES, WHITENOISE_USE_FINDERS=False
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        yield root


@pytest.fixture
def hashed(collected, settings):
    settings.STATIC_ROOT = collected
    settings.STORAGES = HASHED_STORAGES
    settings.WHITENOISE_USE_FINDERS = False
    return collected


def test_pages_link_hashed_names_served_compressed_with_a_long_cache(hashed, db):
    url = static("kefu/app.js")
    assert url != "/static/kefu/app.js"
    assert url.startswith("/static/kefu/app.")
    assert url.endswith(".js")
    plain = Client().get(url)  # a fresh client: WhiteNoise reads the settings at start
    assert plain.status_code == 200
    assert "max-age=315360000" in plain["Cache-Control"]
    assert "immutable" in plain["Cache-Control"]
    body = b"".join(plain.streaming_content)
    zipped = Client().get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(zipped.streaming_content)) == body
    assert "Accept-Encoding" in zipped["Vary"]


def test_unhashed_names_stay_reachable_with_a_short_cache(hashed, db):
    # The chat widget is embedded by other sites under a fixed address.
    response = Client().get("/static/kefu/widget.js")
    assert response.status_code == 200
    assert "immutable" not in response.get("Cache-Control", "")


def test_the_portal_page_renders_with_hashed_assets(hashed, db):
    page = Client().get("/help/", follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert static("kefu/kefu.css") in html
