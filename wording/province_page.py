"""Wording of the dashboard's province-scale tools: the distributed (Dask) solve control and
its progress, and browsing a store's map by region."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # ---- the distributed solve ----------------------------------------------------------------
    "prov_expander": ("大规模求解", "Large-scale solve"),
    "prov_solve": ("分区并行求解（Dask）", "Solve by blocks in parallel (Dask)"),
    "prov_help": (
        "先对全域求解各项指标（不含紧凑度），再按区县分区、在多个工作进程上并行优化紧凑度，"
        "最后计算全局上界，差距仍有证明。适用于数百万单元的数据库；结果与“求解”相同方式显示和保存。",
        "First the whole area's targets are solved (without compactness), then the regions are "
        "optimized for compactness as blocks on several worker processes in parallel, and "
        "finally a global bound is priced, so the gap is still proven. Meant for stores of "
        "millions of cells; the result is shown and saved like one from Solve."),
    "prov_block_cells": ("每个分区最多单元数", "Most cells per block"),
    "prov_block_cells_help": (
        "超过此数的区县按邻接关系切成大致相等的连通分区；较小的相邻区县合并为一个分区。",
        "A region above this size is cut into connected pieces of about equal size; smaller "
        "neighbouring regions are grouped into one block."),
    "prov_local": ("集群：本机，{workers} 个工作进程（每进程单线程）。",
                   "Cluster: this machine, {workers} worker processes (one thread each)."),
    "prov_remote": ("集群：调度器 {address}（由服务器设置 LANDALLOC_DASK_SCHEDULER 指定）。",
                    "Cluster: the scheduler at {address} (set by the server's "
                    "LANDALLOC_DASK_SCHEDULER)."),
    "prov_starting": ("正在启动 Dask 集群并对全域求解（不含紧凑度）…",
                      "Starting the Dask cluster and solving the whole area (without "
                      "compactness)…"),
    "prov_failed": ("分区并行求解未完成：{message}", "The solve by blocks did not finish: {message}"),
    "prov_summary": (
        "分区并行求解：{blocks} 个分区，{workers} 个工作进程，{rounds} 轮；全域求解（不含紧凑度）"
        "{master:.1f} 秒。",
        "Solved by blocks: {blocks} blocks on {workers} workers in {rounds} rounds; the whole "
        "area without compactness took {master:.1f} s."),
    "prov_blocks_title": ("各分区求解情况", "Blocks"),
    "prov_block_col": ("分区", "Block"),
    "prov_seconds_col": ("用时（秒）", "Time (s)"),
    # ---- browsing the map by region -----------------------------------------------------------
    "map_extent": ("地图范围", "Map extent"),
    "map_extent_all": ("全域", "Whole area"),
    "map_extent_pick": ("地图范围：{region}", "Map extent: {region}"),
    "map_extent_note": ("{region}：地图只显示该区域的 {n} 个单元，并缩放至该区域。",
                        "{region}: the maps show its {n} cells alone, zoomed to it."),
}
