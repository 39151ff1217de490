"""Data layer: the DuckDB parcel store, the demo region, importers, indicators and presets.

Never imports streamlit; may import ``solver`` (to build its input), never ``dashboard``.
"""
