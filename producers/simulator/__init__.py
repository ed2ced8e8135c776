"""A reproducible simulator of the ministries' change streams, and the ground truth a correct hub must reach.

    simulator = MinistriesSimulator(seed=7, dirt=0.05)
    changes = list(simulator.changes(20_000))      # Change(dataset, op, key, record, event_time, dirt, …)
    manifest = build_manifest(changes)               # expected clean state, rejections, duplicates, golden records
    manifest.to_json("manifest.json")

The five datasets share one synthetic population: every citizen gets a social-insurance participation,
enterprises are represented by citizens and employ insured ones, citizens and enterprises hold land, and
births, deaths, marriages and divorces change people. ``RULES.md`` (beside this file) lists every kind of
dirt, whether the hub must fix it or reject it (with which reason code), and the rules for current state and
golden records.

Modules: :mod:`.generator` (the simulation loop), :mod:`.people`, :mod:`.civil`, :mod:`.business` (world
actions), :mod:`.dirt` and :mod:`.bad_events` (dirt), :mod:`.manifest` and :mod:`.golden` (the ground
truth), :mod:`.population` (the population-only simulator of the demo). The cleaning and rejection rules the
manifest applies are the hub's own, in :mod:`streams.rules` (CCCD, MST and phones in
:mod:`streams.rules.identifiers`, TCVN3/VNI in :mod:`streams.rules.legacy_text`, 2025 administrative codes
in :mod:`streams.rules.admin_units`).
"""

from producers.simulator.change import Change
from producers.simulator.dirt import DELIVERY, FIXABLE, KINDS, REJECTED
from producers.simulator.generator import DATASETS, MinistriesSimulator
from producers.simulator.manifest import DatasetTruth, Manifest, build_manifest
from producers.simulator.population import PopulationSimulator
from streams.rules.identifiers import cccd, mst, mst_valid

__all__ = ["DATASETS", "DELIVERY", "FIXABLE", "KINDS", "REJECTED", "Change", "DatasetTruth", "Manifest",
           "MinistriesSimulator", "PopulationSimulator", "build_manifest", "cccd", "mst", "mst_valid"]
