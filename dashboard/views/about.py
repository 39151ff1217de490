"""About page: what the tool does and where its numbers come from."""

from __future__ import annotations

import streamlit as st

from dashboard import ui

ABOUT = {
    "zh": """
本工具在研究区地块数据库（DuckDB）上，按耕地保有量、永久基本农田、生态保护红线、城镇开发边界、
新增建设用地、耕地占补平衡、转换规则和目标权重等规划调控参数，用 OR-Tools CP-SAT 求解土地利用
优化配置，并报告已证明的最优性差距。情景不可行时，说明哪些参数冲突、需调整多少。

指标：用地结构与转移矩阵、生态系统服务价值（谢高地等 2015 当量因子）、碳储量（InVEST 四碳库，
示例系数）、粮食生产能力、景观格局（斑块数、最大斑块指数、边缘密度、聚集度）、区域均衡和合规检查。
系数来源见“数据”页。示例县为合成数据，不代表任何真实地区。
""",
    "en": """
On a study region's parcel store (DuckDB), this tool optimizes the land-use layout with
OR-Tools CP-SAT under the planning levers — farmland quota, permanent basic farmland, the
ecological red line, the urban development boundary, growth targets, requisition–compensation
balance, conversion rules and objective weights — and reports the proven optimality gap. An
impossible scenario is explained: which levers conflict and by how much.

Indicators: land-use structure and transitions, ecosystem service value (Xie et al. 2015
equivalent factors), carbon storage (InVEST four pools, illustrative values), grain capacity,
landscape pattern (patches, largest patch index, edge density, aggregation), regional balance
and compliance. Coefficient sources are on the Data page. The demo county is synthetic.
""",
}

st.title(ui.t("app_title"))
st.markdown(ABOUT[ui.lang()])
