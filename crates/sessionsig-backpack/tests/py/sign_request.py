#!/usr/bin/env python3
"""Sign (or verify) one HTTP request with the `http-message-signatures` package (PyPI).

Driven by tests/httpsig_python.rs: a JSON job on stdin, a JSON answer on stdout. Nothing
here is ours but the plumbing: the signature base, the structured-field serialization, the
Content-Digest and the ed25519 signature all come from the package and `cryptography`.

Job, mode "sign":
  {"mode": "sign", "method": "PUT", "url": "http://host:port/path?query",
   "headers": [[name, value], ...], "seed_hex": "<32-byte ed25519 seed>",
   "key_id": "...", "created": <unix s>, "expires": <unix s, optional>,
   "nonce": "...", "tag": "...", "label": "...", "include_alg": true,
   "components": ["@method", ...], "body_hex": "<bytes, optional: adds Content-Digest>",
   "use_existing_digest": false}
  -> {"headers": [[name, value], ...]}   (the request's headers after signing)

Job, mode "verify":
  {"mode": "verify", "method", "url", "headers", "public_hex", "key_id", "body_hex"}
  -> {"verified": [{"label", "parameters", "covered"}]}  or  {"error": "..."}
"""

import datetime
import json
import sys

from cryptography.hazmat.primitives.asymmetric import ed25519
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.structures import CaseInsensitiveDict


class Message:
    """The minimal request interface the package documents: method, url, headers."""

    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = CaseInsensitiveDict()
        for name, value in headers:
            self.headers[name] = value


class Keys(HTTPSignatureKeyResolver):
    def __init__(self, key_id, private=None, public=None):
        self.key_id, self.private, self.public = key_id, private, public

    def resolve_private_key(self, key_id):
        if key_id != self.key_id or self.private is None:
            raise KeyError(key_id)
        return self.private

    def resolve_public_key(self, key_id):
        return self.public if key_id == self.key_id else None


def when(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def sign(job):
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(job["seed_hex"]))
    message = Message(job["method"], job["url"], job["headers"])
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=Keys(job["key_id"], private=private)
    )
    body = bytes.fromhex(job["body_hex"]) if "body_hex" in job else None
    signer.sign(
        message,
        key_id=job["key_id"],
        created=when(job["created"]),
        expires=when(job["expires"]) if "expires" in job else None,
        nonce=job.get("nonce"),
        tag=job.get("tag"),
        label=job.get("label"),
        include_alg=job.get("include_alg", True),
        covered_component_ids=job["components"],
        body=body,
        use_existing_digest=job.get("use_existing_digest", False),
    )
    return {"headers": [[k, v] for k, v in message.headers.items()]}


def verify(job):
    public = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(job["public_hex"]))
    message = Message(job["method"], job["url"], job["headers"])
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=Keys(job["key_id"], public=public)
    )
    body = bytes.fromhex(job["body_hex"]) if "body_hex" in job else None
    try:
        results = verifier.verify(message, max_age=datetime.timedelta(minutes=5), body=body)
    except Exception as e:  # the test reports what the package said
        return {"error": f"{type(e).__name__}: {e}"}
    return {
        "verified": [
            {"label": r.label, "parameters": dict(r.parameters), "covered": list(r.covered_components)}
            for r in results
        ]
    }


def main():
    job = json.load(sys.stdin)
    answer = {"sign": sign, "verify": verify}[job["mode"]](job)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
