"""Generated sources live in the user's checked private cache (issue 10, item 3): nothing
planted there is compiled, another user's directory is refused, and the same model and input
still hit the build cache."""
from __future__ import annotations

import os

import pytest

from simulator.analyze import analyze, prepare_input
from simulator.boards import get_board
from simulator.errors import CacheError
from simulator.frontend import ModelBuilder
from simulator.lower import lower_graph
from simulator.lower.codegen import render_sources, sources_digest

as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="changing file owners needs root")


def _graph():
    b = ModelBuilder("gen")
    x = b.input((1, 4, 4, 2), scale=0.1, zero_point=0)
    b.output(b.relu(b.relu(x)))
    return b.build()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MCUSIM_CACHE_DIR", str(tmp_path))
    return tmp_path


def _gen_dir(cache, g):
    lm = lower_graph(g, get_board("stm32h743"))
    return cache / "gen" / sources_digest(render_sources(lm, prepare_input(g, None)))


def test_sources_go_to_the_private_cache_and_hit_the_build_cache(cache):
    g = _graph()
    first = analyze(g, "stm32h743")
    gen = _gen_dir(cache, g)
    assert sorted(p.name for p in gen.iterdir()) == ["main.c", "model.c", "model.h"]
    assert (os.stat(gen).st_mode & 0o077) == 0
    entries = sorted((cache / "builds").iterdir())
    second = analyze(g, "stm32h743")
    assert sorted((cache / "builds").iterdir()) == entries       # same command: a cache hit
    assert first.bit_exact and second.bit_exact and first.cycles == second.cycles


def test_a_header_planted_beside_the_sources_is_not_compiled(cache):
    g = _graph()
    gen = _gen_dir(cache, g)
    gen.mkdir(parents=True, mode=0o700)
    (gen / "ck_types.h").write_text("#error PLANTED_HEADER_COMPILED\n")
    (gen / "model.h").write_text("#error PLANTED_MODEL_H\n")
    a = analyze(g, "stm32h743")
    assert a.bit_exact, a.mismatch
    assert not (gen / "ck_types.h").exists()
    assert "PLANTED" not in (gen / "model.h").read_text()


@as_root
def test_a_generated_source_directory_of_another_user_is_refused(cache):
    g = _graph()
    gen = _gen_dir(cache, g)
    gen.mkdir(parents=True, mode=0o700)
    os.chown(gen, 12345, 12345)
    with pytest.raises(CacheError, match="uid 12345"):
        analyze(g, "stm32h743")


def test_generated_sources_unused_for_a_day_are_pruned(cache):
    from simulator.lower import codegen
    old = cache / "gen" / ("0" * 20)
    old.mkdir(parents=True, mode=0o700)
    (old / "model.c").write_text("/* old */\n")
    os.utime(old, (1, 1))
    codegen._prune_once.cache_clear()
    g = _graph()
    assert analyze(g, "stm32h743").bit_exact
    assert not old.exists() and _gen_dir(cache, g).is_dir()
