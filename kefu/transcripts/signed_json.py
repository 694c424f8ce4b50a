"""The JSON transcript file: the transcript, and an Ed25519 signature of its canonical form.

File layout (pretty-printed, UTF-8, one trailing newline)::

    {"format": "kefu-transcript/1",
     "transcript": {...},
     "signature": {"alg": "Ed25519", "key_id": "...", "value": "<base64>"}}

The signature covers ``canonical(transcript)``: UTF-8 JSON with sorted keys, no spaces and
no ASCII escaping, so anyone can recompute the signed bytes from the parsed file.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from kefu.transcripts.build import FORMAT, Transcript
from kefu.transcripts.keys import ALG, SigningKey


def canonical(transcript: dict[str, Any]) -> bytes:
    """The bytes the signature covers."""
    return json.dumps(transcript, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def layout(document: dict[str, Any]) -> bytes:
    """How a signed document is written to a file (and must still read, byte for byte)."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def encode(transcript: Transcript, key: SigningKey) -> bytes:
    """The signed JSON file of ``transcript``."""
    content = transcript.as_dict()
    signature = key.sign(canonical(content))
    document = {
        "format": FORMAT,
        "transcript": content,
        "signature": {
            "alg": ALG,
            "key_id": key.key_id,
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }
    return layout(document)
