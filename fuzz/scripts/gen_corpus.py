#!/usr/bin/env python3
"""Build the fuzzing corpora from the shared test vectors.

    scripts/gen_corpus.py [--vectors DIR] [--out DIR] [--seeds]

Without --seeds: writes every input found in the vectors to <out>/<target>/<sha1> (default
out: fuzz/corpus, which is git-ignored). With --seeds: writes the small, hand-picked seed set
to fuzz/seeds/<target>/<name> (committed). Nothing is copied out of the vectors except the
strings and objects the targets parse.

Targets and what they get:
  siwe_parse         SIWE message texts (vectors/siwe, eip-4361, erc-5573, siwe-recap, lit)
  recap_decode       urn:recap: strings, their base64url part alone, and capability JSON
  session_sig_parse  SessionSig objects, SessionSigs maps, signedMessage strings, AuthSig objects
  session_sig_verify signedMessage strings (the target re-signs them)
  time_parse         the timestamps found in all of the above
"""
import argparse
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.dirname(HERE)
SIWE_HEADER = " wants you to sign in with your Ethereum account:\n"
URN = "urn:recap:"
WIRE_KEYS = {"sig", "derivedVia", "signedMessage", "address"}


def compact(value):
    # The JS SDK's JSON.stringify form: no spaces, key order kept.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Corpus:
    def __init__(self):
        self.items = {"siwe_parse": set(), "recap_decode": set(), "session_sig_parse": set(),
                      "session_sig_verify": set(), "time_parse": set()}

    def add(self, target, text):
        if text:
            self.items[target].add(text)

    def siwe(self, text):
        self.add("siwe_parse", text)
        for line in text.split("\n"):
            for key in ("Issued At: ", "Expiration Time: ", "Not Before: "):
                if line.startswith(key):
                    self.add("time_parse", line[len(key):])
            if line.startswith("- " + URN):
                self.recap_urn(line[2:])

    def recap_urn(self, urn):
        self.add("recap_decode", urn)
        self.add("recap_decode", urn[len(URN):])

    def string(self, s):
        if SIWE_HEADER in s:
            self.siwe(s)
        elif s.startswith(URN):
            self.recap_urn(s)
        elif s.startswith('{"sessionKey"'):
            self.add("session_sig_parse", s)
            self.add("session_sig_verify", s)
            try:
                self.value(json.loads(s))
            except ValueError:
                pass
        elif s.startswith('{"att"'):
            self.add("recap_decode", s)

    def value(self, v):
        if isinstance(v, dict):
            if WIRE_KEYS <= set(v):
                self.add("session_sig_parse", compact(v))
            elif v and all(isinstance(x, dict) and WIRE_KEYS <= set(x) for x in v.values()):
                # A SessionSigs map: the whole map, and each one-entry map.
                self.add("session_sig_parse", compact(v))
                for k, x in v.items():
                    self.add("session_sig_parse", compact({k: x}))
            elif "att" in v and "prf" in v:
                self.add("recap_decode", compact(v))
            for k in ("issuedAt", "expiration", "expirationTime", "notBefore"):
                if isinstance(v.get(k), str):
                    self.add("time_parse", v[k])
            for x in v.values():
                self.value(x)
        elif isinstance(v, list):
            for x in v:
                self.value(x)
        elif isinstance(v, str):
            self.string(v)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".jsonc"):
        # Comment lines, then several JSON documents one after the other.
        text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("//"))
        dec, docs, i = json.JSONDecoder(), [], 0
        while True:
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                return docs
            doc, i = dec.raw_decode(text, i)
            docs.append(doc)
    return json.loads(text)


def collect(vectors):
    c = Corpus()
    for root, _dirs, files in os.walk(vectors):
        for name in sorted(files):
            path = os.path.join(root, name)
            if name.endswith(".txt"):
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                # The EIP examples end with one newline that is not part of the message.
                c.siwe(text[:-1] if text.endswith("\n") else text)
                c.siwe(text)
            elif name.endswith((".json", ".jsonc")):
                try:
                    doc = load_json(path)
                except ValueError as e:
                    print(f"skip {path}: {e}", file=sys.stderr)
                    continue
                if name == "serialized_cap.json":
                    c.add("recap_decode", compact(doc))
                c.value(doc)
    return c


def write_corpus(c, out):
    for target, items in c.items.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for text in items:
            data = text.encode("utf-8")
            with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
                f.write(data)
        print(f"{target}: {len(items)} inputs -> {d}")


def write_seeds(vectors, out):
    """The committed seeds: a handful of small inputs per target."""
    def j(rel):
        return load_json(os.path.join(vectors, rel))

    def txt(rel):
        with open(os.path.join(vectors, rel), encoding="utf-8") as f:
            return f.read().rstrip("\n")

    v7 = j("lit/vectors-v7.json")
    naga = j("lit/vectors-v8-naga.json")
    ex = j("lit/example-v7.json")
    valid = j("lit/session-sigs-valid.json")
    pos = j("siwe/parsing_positive.json")
    erc = j("erc-5573/recap-examples.json")
    first_node = next(iter(valid))
    seeds = {
        "siwe_parse": {
            "eip4361-explicit-scheme.txt": txt("eip-4361/example-explicit-scheme.txt"),
            "eip4361-implicit-scheme-explicit-port.txt": txt(
                "eip-4361/example-implicit-scheme-explicit-port.txt"),
            "positive-couple-of-optional-fields.txt": pos["couple of optional fields"]["message"],
            "lit-v7-session.txt": v7["siweText"],
        },
        "recap_decode": {
            "erc5573-example-1.urn": erc["example_1_from_siwe_message"]["recap_uri"],
            "siwe-recap-rust-cap.json": compact(j("siwe-recap/rust/serialized_cap.json")),
            "lit-v7-recap.json": v7["recapJson"],
            "lit-v7-recap.b64": next(
                l[2 + len(URN):] for l in v7["siweText"].split("\n") if l.startswith("- " + URN)),
        },
        "session_sig_parse": {
            "lit-v7-session-sig.json": compact(v7["sessionSig"]),
            "lit-v7-signed-message.json": v7["sessionSig"]["signedMessage"],
            "lit-v7-auth-sig.json": compact(v7["authSig"]),
            "lit-v8-session-sig.json": compact(naga["sessionSig"]),
            "lit-sdk-session-sigs-one-node.json": compact({first_node: valid[first_node]}),
        },
        "session_sig_verify": {
            "lit-v7-signed-message.json": v7["sessionSig"]["signedMessage"],
            "lit-v7-with-delegation.json": next(iter(ex["sessionSigs"].values()))["signedMessage"],
            "lit-v8-signed-message.json": naga["sessionSig"]["signedMessage"],
        },
        "time_parse": {
            "js-iso.txt": "2021-09-30T16:25:24.000Z",
            "offset.txt": "2021-09-30T16:25:24+05:30",
            "nanos.txt": "2025-01-01T00:00:00.123456789Z",
        },
    }
    for target, files in seeds.items():
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, text in files.items():
            with open(os.path.join(d, name), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        print(f"{target}: {len(files)} seeds -> {d}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--vectors", default=os.environ.get(
        "SESSIONSIG_VECTORS", os.path.join(FUZZ, "..", "..", "shared", "vectors")))
    ap.add_argument("--out", default=None)
    ap.add_argument("--seeds", action="store_true", help="write the committed seed set instead")
    a = ap.parse_args()
    if not os.path.isdir(a.vectors):
        sys.exit(f"no vectors at {a.vectors} (set --vectors or SESSIONSIG_VECTORS)")
    if a.seeds:
        write_seeds(a.vectors, a.out or os.path.join(FUZZ, "seeds"))
    else:
        write_corpus(collect(a.vectors), a.out or os.path.join(FUZZ, "corpus"))


if __name__ == "__main__":
    main()
