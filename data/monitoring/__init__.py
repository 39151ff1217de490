"""Monitoring (监测评估): a newer land survey held against the base map and a plan.

``survey`` reads a survey (raster or polygons, in the store's class system through a mapping
file) onto the store's parcels and keeps it as a dated layer beside the store; ``compare``
sets base, plan and survey side by side (suspected violations, deviations from the plan,
progress toward every target); ``exports`` writes the findings for enforcement.
"""
