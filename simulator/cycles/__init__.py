"""Per-core timing tables (tables/*.toml, each row citing its source) and the accounting engine.

    from simulator.cycles import Accounting
    acc = Accounting(uc, "m7", regions).attach()

See docs/cycle-model.md for what is modelled per core and the expected error.
"""
from simulator.cycles.engine import Accounting, PyAccounting
from simulator.cycles.regions import Region, Regions
from simulator.cycles.table import load_table

__all__ = ["Accounting", "PyAccounting", "Region", "Regions", "load_table"]
