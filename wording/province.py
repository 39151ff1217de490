"""Wording of the distributed (province-scale) solve: cluster errors and progress lines."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "cluster_unreachable": (
        "无法连接 Dask 调度器 {address}（{reason}）。请确认调度器已启动且地址与端口正确"
        "（例如 tcp://10.0.0.5:8786），或去掉 --scheduler 以在本机启动集群。",
        "Cannot reach the Dask scheduler at {address} ({reason}). Check that the scheduler "
        "is running and the address and port are right (e.g. tcp://10.0.0.5:8786), or leave "
        "out --scheduler to start a cluster on this machine."),
    "cluster_bad_address": (
        "调度器地址 {address} 无效：应为 tcp://主机:端口（例如 tcp://10.0.0.5:8786）。",
        "Scheduler address {address} is not valid: use tcp://HOST:PORT "
        "(e.g. tcp://10.0.0.5:8786)."),
    "cluster_bad_workers": (
        "工作进程数 {value} 无效：应为 1 到 {most} 之间的整数。",
        "Worker count {value} is not valid: use a whole number from 1 to {most}."),
    "cluster_lost": (
        "分区 {block} 在 {tries} 次尝试后仍失败（{reason}）；结果未写出。请检查集群工作进程的"
        "内存与日志后重试。",
        "Block {block} failed after {tries} tries ({reason}); nothing was written. Check the "
        "cluster workers' memory and logs, then run again."),
    "province_master": (
        "全域求解（不含紧凑度）：{seconds:.1f} 秒，{blocks} 个分区。",
        "Whole area without compactness: {seconds:.1f} s; {blocks} blocks."),
    "province_block": (
        "分区 {name}（{done}/{total}）完成：{seconds:.1f} 秒，{cells} 个单元。",
        "Block {name} ({done}/{total}) done: {seconds:.1f} s, {cells} cells."),
    "province_repair": (
        "全域修补 {done}/{most}：{seconds:.1f} 秒，目标值 {before:.3f} → {after:.3f}。",
        "Whole-area repair {done}/{most}: {seconds:.1f} s, objective {before:.3f} → "
        "{after:.3f}."),
    "province_bound": (
        "全局上界：{done}/{total} 个分区已定价。",
        "Global bound: {done}/{total} blocks priced."),
}
