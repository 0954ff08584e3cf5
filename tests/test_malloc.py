"""The server's malloc arena cap."""

import ctypes

import pytest

from searchapp.web import malloc


def test_the_cap_is_taken_by_glibc(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("this C library has no mallopt")
    assert malloc.limit_arenas() is True


def test_a_cap_set_by_the_user_is_left_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert malloc.limit_arenas() is False
