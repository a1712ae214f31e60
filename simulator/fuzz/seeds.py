"""Seed models: the bundled .tflite models, read once, with their field sites."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..frontend import load_tflite, save_tflite
from ..ir import Graph
from .sites import Site, field_sites

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


@dataclass
class SeedModel:
    name: str
    data: bytes
    graph: Graph
    sites: list[Site]
    external: bytes = b""                 # the same graph with external buffers
    external_sites: list[Site] = field(default_factory=list)


def load_seeds(paths=None) -> list[SeedModel]:
    paths = sorted(Path(p) for p in paths) if paths else sorted(MODELS_DIR.glob("*.tflite"))
    seeds = []
    for p in paths:
        data = p.read_bytes()
        graph = load_tflite(data, name=p.stem)
        external = save_tflite(graph, external_buffers=True)
        seeds.append(SeedModel(p.stem, data, graph, field_sites(data), external,
                               field_sites(external)))
    return seeds
