"""Pure altair chart builders: tidy frames in, ``alt.Chart`` out; no Streamlit."""

from __future__ import annotations

import altair as alt
import pandas as pd

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
POSITIVE, NEGATIVE = "#2e7d32", "#c62828"
#: Pixels per bar or row of a category axis: every label gets its own line, at any chart width.
ROW_STEP = 26
#: Category labels are never dropped for overlap nor cut short ("香农多样性指数 SHDI" is long).
CATEGORY_AXIS = {"labelOverlap": False, "labelLimit": 0}


def _class_scale(classes: pd.DataFrame, name_column: str) -> alt.Scale:
    """Colour scale that keeps each class in its map colour."""
    return alt.Scale(domain=classes[name_column].tolist(), range=classes["color"].tolist())


def structure_chart(areas: pd.DataFrame, classes: pd.DataFrame, name_column: str,
                    labels: dict[str, str]) -> alt.Chart:
    """Grouped bars of area by class, current vs. optimized.

    Parameters
    ----------
    areas : DataFrame
        Columns ``class`` (display name), ``stage`` (display text) and ``area_ha``.
    classes : DataFrame
        Class table (for colours, in code order).
    name_column : str
        ``name_zh`` or ``name_en``.
    labels : dict
        Axis titles: ``class``, ``area_ha``, ``stage``.
    """
    order = classes[name_column].tolist()
    return alt.Chart(areas).mark_bar().encode(
        x=alt.X("class:N", sort=order, title=labels["class"], axis=_class_axis(order)),
        xOffset=alt.XOffset("stage:N", sort=[labels["before"], labels["after"]]),
        y=alt.Y("area_ha:Q", title=labels["area_ha"]),
        color=alt.Color("class:N", scale=_class_scale(classes, name_column), legend=None),
        opacity=alt.Opacity("stage:N", sort=[labels["before"], labels["after"]],
                            scale=alt.Scale(range=[0.45, 1.0]), title=labels["stage"]),
        tooltip=["class:N", "stage:N", alt.Tooltip("area_ha:Q", format=",.0f")],
    ).properties(height=260)


def _is_cjk(text: str) -> bool:
    return all("\u2e80" <= char <= "\u9fff" for char in text)


def _class_axis(names: list[str]) -> alt.Axis:
    """An axis whose class names never run into each other in a narrow chart column.

    Chinese names of more than two characters (建设用地, 未利用地) wrap onto two lines of two
    characters, as Chinese charts usually do; long English names tilt.
    """
    axis = {**CATEGORY_AXIS, "labelFontSize": 11, "labelAngle": 0}
    if all(_is_cjk(str(name)) for name in names):
        if max(len(str(name)) for name in names) > 2:
            axis["labelExpr"] = ("length(datum.label) > 2 ? [substring(datum.label, 0, 2), "
                                 "substring(datum.label, 2)] : datum.label")
    elif max(len(str(name)) for name in names) > 4:
        axis["labelAngle"] = -35
    return alt.Axis(**axis)


def change_chart(changes: pd.DataFrame, labels: dict[str, str]) -> alt.Chart:
    """Horizontal bars of each indicator's change vs. the baseline in percent.

    ``changes`` has columns ``label`` and ``change_pct`` (and ``text`` for the tooltip).
    """
    return alt.Chart(changes).mark_bar().encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(**CATEGORY_AXIS)),
        x=alt.X("change_pct:Q", title=labels["change_pct"]),
        color=alt.condition(alt.datum.change_pct >= 0, alt.value(POSITIVE), alt.value(NEGATIVE)),
        tooltip=["label:N", alt.Tooltip("change_pct:Q", format="+.2f"), "text:N"],
    ).properties(height=alt.Step(ROW_STEP))


def transition_chart(matrix: pd.DataFrame, order: list[str], labels: dict[str, str]) -> alt.Chart:
    """Heat map of the transition matrix with the hectares written in each cell.

    ``matrix`` is tidy: ``from``, ``to`` (display names) and ``area_ha``.
    """
    base = alt.Chart(matrix).encode(
        x=alt.X("to:N", sort=order, title=labels["to_class"], axis=_class_axis(order)),
        y=alt.Y("from:N", sort=order, title=labels["from_class"], axis=alt.Axis(**CATEGORY_AXIS)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("area_ha:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        tooltip=["from:N", "to:N", alt.Tooltip("area_ha:Q", format=",.1f")])
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("area_ha:Q", format=",.0f"),
        color=alt.condition(alt.datum.area_ha > matrix["area_ha"].max() / 4,
                            alt.value("white"), alt.value("black")))
    return (cells + text).properties(height=alt.Step(ROW_STEP + 8))


def region_chart(areas: pd.DataFrame, classes: pd.DataFrame, name_column: str,
                 labels: dict[str, str]) -> alt.Chart:
    """Stacked bars of land use by region after the allocation.

    ``areas`` has columns ``region``, ``class`` (display names) and ``area_ha``.
    """
    return alt.Chart(areas).mark_bar().encode(
        y=alt.Y("region:N", title=labels["region"], sort=None, axis=alt.Axis(**CATEGORY_AXIS)),
        x=alt.X("area_ha:Q", title=labels["area_ha"], stack=True),
        color=alt.Color("class:N", scale=_class_scale(classes, name_column),
                        title=labels["class"], sort=classes[name_column].tolist(),
                        legend=alt.Legend(orient="bottom", columns=3)),
        order=alt.Order("order:Q"),
        tooltip=["region:N", "class:N", alt.Tooltip("area_ha:Q", format=",.0f")],
    ).properties(height=alt.Step(ROW_STEP))


def configure(chart: alt.Chart) -> alt.Chart:
    """Fonts that render Chinese, and a quiet frame."""
    return chart.configure(font=FONT).configure_view(strokeWidth=0)
