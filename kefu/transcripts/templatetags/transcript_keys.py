"""``{% transcript_key_id %}``: the id of the key that signs transcripts, for public pages."""

from __future__ import annotations

from django import template

from kefu.transcripts.keys import signing_key

register = template.Library()


@register.simple_tag
def transcript_key_id() -> str:
    return signing_key().key_id
