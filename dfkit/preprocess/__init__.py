"""Preprocess a dataset into face crops: resumable, shardable, one manifest line per video.

CLI: ``python -m dfkit.preprocess --dataset synthetic --data-root data/synth --out data/crops --frames 16``.
Library: :func:`preprocess_records` and :func:`read_manifest` (the merged manifest of all shards).
"""
from dfkit.preprocess.manifest import read_manifest
from dfkit.preprocess.pipeline import DETECTORS, PreprocessOptions, Summary, preprocess_records, shard_records

__all__ = ["DETECTORS", "PreprocessOptions", "Summary", "preprocess_records", "read_manifest", "shard_records"]
