"""Wording of solver results: status messages and infeasibility explanations (lever names are
in :mod:`wording.levers`)."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # the status of one solve (AllocationResult.message_zh / message)
    "solve_OPTIMAL": ("已找到最优配置方案。", "Optimal allocation found."),
    "solve_FEASIBLE": ("已在时限内找到可行方案（见最优性差距）。",
                       "Allocation found within the time limit (see gap)."),
    "solve_UNKNOWN": ("时限内未找到可行方案，请延长求解时间。",
                      "No allocation found within the time limit; allow more time."),
    "solve_INFEASIBLE": ("约束相互冲突，方案不可行。", "The levers contradict each other."),
    "solve_MODEL_INVALID": ("模型无效。", "The model is invalid."),
    # the status of a phased (multi-period) solve
    "periods_OPTIMAL": ("已找到最优分期配置方案。", "Optimal phased allocation found."),
    "periods_FEASIBLE": ("已在时限内找到可行的分期方案（见最优性差距）。",
                         "Phased allocation found within the time limit (see gap)."),
    "periods_UNKNOWN": ("时限内未找到可行的分期方案，请延长求解时间。",
                        "No phased allocation found within the time limit; allow more time."),
    "periods_INFEASIBLE": ("各规划期指标相互冲突，方案不可行。",
                           "The period targets contradict each other."),
    "periods_MODEL_INVALID": ("模型无效。", "The model is invalid."),
    # values in explanations
    "unit_ha": ("公顷", "ha"),
    "switch_on": ("开", "on"),
    "switch_off": ("关", "off"),
    # why a scenario is impossible
    "explain_head": (
        "方案不可行：耕地保有量 {quota:,.0f} 公顷、生态保护红线 {red_line:,.0f} 公顷等约束锁定了 "
        "{locked:,.0f} 公顷土地，最多 {buildable:,.0f} 公顷可转为建设用地，转换总量上限为 "
        "{budget:,.0f} 公顷。相互冲突的指标：",
        "Infeasible: the farmland quota of {quota:,.0f} ha, the ecological red line of "
        "{red_line:,.0f} ha and the other locks leave {locked:,.0f} ha unchangeable; at most "
        "{buildable:,.0f} ha may become construction land and the conversion budget is "
        "{budget:,.0f} ha. Conflicting levers:"),
    "explain_switch_off": ("· {where}{label}：需放宽（缺口 {shortfall:,.1f}）；建议关闭",
                           "· {where}{label}: must be relaxed (short by {shortfall:,.1f}); "
                           "suggestion: switch it off"),
    "explain_lever": ("· {where}{label}：当前 {current}，缺口 {shortfall:,.1f} 公顷，建议调整为 "
                      "{suggested}{more}",
                      "· {where}{label} ({key}): now {current}, short by {shortfall:,.1f} ha; "
                      "suggested {suggested}{more}"),
    "explain_alone": ("；若只调整此项：{value}", "; moving only this lever: {value}"),
    "explain_alternatives": ("或者只调整以下任一指标：",
                             "Alternatively, moving any one of these levers alone would do:"),
    "explain_alternative": ("· {label}：{current} → {suggested}",
                            "· {label} ({key}): {current} → {suggested}"),
    "explain_undetermined": (
        "方案不可行（已证明：各项指标无法同时满足），但在时限内未能确定是哪些指标相互冲突；"
        "请延长求解时间以获得调整建议，或放宽约束。",
        "The scenario is infeasible (proven: the levers cannot all hold), but which levers "
        "conflict could not be determined in the time limit; allow more time for suggestions "
        "or relax the targets."),
    # why a phased scenario is impossible
    "explain_period": ("{year}年（{period}）", "{year} ({period})"),
    "explain_period_prefix": ("{year}年（{period}）", "{year} ({period}) "),
    "explain_period_separator": ("、", ", "),
    "explain_periods_head": (
        "分期方案不可行：{periods}的指标无法同时满足（已建设用地在后续规划期保持为建设用地）。"
        "相互冲突的指标：",
        "Infeasible phasing: the targets of {periods} cannot all be met (built-up land stays "
        "built-up in later periods). Conflicting levers:"),
    "explain_period_room": ("（该区域本期最多 {room:,.1f} 公顷可转为建设用地）",
                            " (at most {room:,.1f} ha of {region} may become construction land "
                            "in this period)"),
    # a scenario that asks for what the store does not have
    "learned_suitability_missing": (
        "情景要求使用变化学习的适宜性（[suitability] source = \"learned\"），但本数据库没有变化学习的"
        "适宜性评分。解决：先对该数据库运行 python -m data learn-suitability --db 数据库 …，或把 "
        "[suitability] source 设为 \"rules\"（规则评分）。",
        "The scenario scores suitability learned from change ([suitability] source = "
        "\"learned\"), but this store has no learned suitability. Fix: run `python -m data "
        "learn-suitability --db STORE ...` on the store, or set [suitability] source = "
        "\"rules\"."),
}
