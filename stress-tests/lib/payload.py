"""Deterministic content of the files the load suite uploads.

Contract: content(path, size) is byte-for-byte what stress-tests/wrk/fsvc.lua and
stress-tests/k6/lib/payload.js send for `path`, so a verifier can recompute the sha256 of
any acknowledged upload from its path alone and catch swapped files, not only torn ones.
"""
import hashlib

PATTERN = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"


def content(path: str, size: int) -> bytes:
    head = b"fsvc-load " + path.encode() + b"\n"
    if size <= len(head):
        return head[:size]
    rest = size - len(head)
    return head + (PATTERN * (rest // len(PATTERN) + 1))[:rest]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
