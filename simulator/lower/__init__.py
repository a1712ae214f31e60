"""Lowering: IR graph -> C kernel calls (``rules.toml``), a static memory plan
(``planner.py``) and generated ``model.c`` / ``model.h`` / ``main.c`` (``codegen.py``)."""
from .codegen import write_sources
from .lowering import Layer, LoweredModel, lower_graph
from .planner import GreedyPlanner, MemoryPlan, plan_graph
from .rules import load_rules, select_rule

__all__ = ["GreedyPlanner", "Layer", "LoweredModel", "MemoryPlan", "load_rules", "lower_graph",
           "plan_graph", "select_rule", "write_sources"]
