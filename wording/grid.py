"""Labels and messages of grid stores (raster imports) and large stores, in zh and en."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "grid_map_note": ("栅格数据：{n} 个 {cell} 米单元，以图像显示（{w} × {h} 像素，不含单元提示）。",
                      "Grid store: {n} cells of {cell} m, drawn as an image ({w} × {h} px, no "
                      "cell tooltips)."),
    "grid_changes_note": ("优化图中已转换的单元以新用途颜色显示、深色边框标出，未转换的单元淡化。",
                          " Converted cells show their new use with a dark edge; unchanged cells "
                          "are pale."),
    "n_cells_col": ("单元数", "Cells"),
    "loading_land": ("正在载入 {n} 个单元的求解数据（属性、适宜性、邻接关系）…",
                     "Loading the solver input of {n} cells (attributes, suitability, "
                     "neighbours)…"),
    "computing_indicators": ("正在计算 {n} 个单元的指标…", "Computing the indicators of {n} cells…"),
    "large_scenario": (
        "**数据规模较大，打开页面时不自动求解。** 本数据库有 {n} 个单元，超过自动求解上限"
        "（{limit} 个单元）。",
        "**Large store: nothing is solved on opening.** This store has {n} cells, more than "
        "the auto-solve limit ({limit} cells)."),
    "large_cost": (
        "实测（本服务器 2 核、24 GB；武汉 30 米，530 万个单元）：点击“求解”后载入数据约 10 秒；"
        "按默认设置（时间上限 10 秒）约 40 秒后仍得不到方案；时间上限 120 秒、紧凑度权重为 0 时"
        "约 50 秒得到最优解，连同指标计算约 75 秒出结果，服务器内存峰值约 7 GB。同一时间只运行"
        "一个大规模求解；也可导入更粗的格网（如 90 米或 300 米）以便交互调整。",
        "Measured on this server (2 cores, 24 GB) with Wuhan at 30 m (5.3 million cells): "
        "after Solve, loading takes about 10 s; with the default settings (10 s time limit) "
        "there is still no allocation after about 40 s; with a 120 s limit and compactness "
        "weight 0 the optimum is found in about 50 s and the page is complete after about "
        "75 s, at a server peak of about 7 GB. One large solve runs at a time; a coarser grid "
        "(e.g. 90 or 300 m) keeps the levers interactive."),
    "large_hint": ("需要优化时，请先在“求解设置”中放宽时间上限，再点击“求解”。",
                   "To optimize, raise the time limit under Solver settings, then press Solve."),
    "large_map": ("下方为现状用地图。", "The current land use is shown below."),
    "large_compare": (
        "**数据规模较大：预设情景不自动求解。** 本数据库有 {n} 个单元，超过自动求解上限"
        "（{limit} 个单元）；默认只比较已保存的情景，选中的预设情景将逐个求解。",
        "**Large store: presets are not solved on opening.** This store has {n} cells, more "
        "than the auto-solve limit ({limit} cells); saved scenarios are compared by default, "
        "presets are solved one by one when picked."),
    "large_periods": (
        "**本页不适用于该数据库。** 本数据库有 {n} 个单元，超过 {limit} 个：多期联合求解的时间和"
        "内存是单次求解的数倍。请导入更粗的格网后使用本页。",
        "**This page is not available for this store.** It has {n} cells, more than {limit}: "
        "a joint multi-period solve takes several times the time and memory of one solve. "
        "Import a coarser grid to use this page."),
    "large_sweep": (
        "**本页不适用于该数据库。** 本数据库有 {n} 个单元，超过 {limit} 个：权衡曲线需要逐步"
        "多次求解。请导入更粗的格网后使用本页。",
        "**This page is not available for this store.** It has {n} cells, more than {limit}: "
        "a trade-off curve solves once per step. Import a coarser grid to use this page."),
}
