import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English: start from it whatever an earlier test (a
    request by a Chinese-speaking user) left active in this thread."""
    with translation.override("en"):
        yield
