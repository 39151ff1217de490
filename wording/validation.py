"""Labels and messages of the data page's change validation section (issue 13), in zh and en.

The section shows the reports of ``python -m data validate-change``: the learned model's
Figure of Merit against three baselines, the driver contributions, and the agreement map.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "val_title": ("变化验证", "Change validation"),
    "val_intro": ("在一个时期上学习土地利用变化，用配置引擎模拟下一时期（各地类面积取真实终点地图），"
                  "再与真实地图逐像元比较，并与三个基线模型对照。品质因数 FoM = 命中 ÷"
                  "（命中 + 遗漏 + 错误命中 + 误报），只计变化，越高越好。",
                  "Land-use change is learned on one period, the next period is allocated by the "
                  "engine (to the real end map's class areas) and compared cell by cell with the "
                  "real map, next to three baselines. Figure of Merit FoM = hits ÷ (hits + misses "
                  "+ wrong hits + false alarms): change only, higher is better."),
    "val_none": ("在 {folder} 下还没有变化验证报告。运行下面的命令生成一个（约 1 分钟），"
                 "然后刷新本页：",
                 "No change validation report under {folder} yet. Create one with the command "
                 "below (about 1 minute), then reload this page:"),
    "val_pick": ("验证报告", "Validation report"),
    "val_label": ("{train_start}→{train_end} 学习 · {start}→{end} 验证 · {cell} m",
                  "learned {train_start}→{train_end} · validated {start}→{end} · {cell} m"),
    "val_inputs": ("学习时期 {train_start} → {train_end}；验证时期 {start} → {end}；"
                   "{cells} 个 {cell} 米单元（禁止转换 {restricted} 个）；驱动因子：{drivers}；"
                   "生成于 {created}，用时 {seconds} 秒，内存峰值 {memory} GB。",
                   "Learned on {train_start} → {train_end}; validated on {start} → {end}; "
                   "{cells} cells of {cell} m ({restricted} locked); drivers: {drivers}; "
                   "created {created} in {seconds} s, peak memory {memory} GB."),
    "val_no_drivers": ("无（仅邻域与距离）", "none (neighbourhood and distances only)"),
    "val_skipped": ("有 {n} 个文件不能作为验证报告读取：", "{n} files could not be read as "
                    "validation reports:"),
    # errors: the file at fault and the fix
    "val_err_json": ("「{file}」不是有效的 JSON（第 {line} 行：{reason}）。解决办法：重新运行 "
                     "validate-change 生成该报告。",
                     "“{file}” is not valid JSON (line {line}: {reason}). Fix: run "
                     "validate-change again to write the report."),
    "val_err_format": ("「{file}」不是变化验证报告（格式为 {found}，应为 {expected}）。",
                       "“{file}” is not a change validation report (format {found}, expected "
                       "{expected})."),
    "val_err_field": ("「{file}」缺少内容 {field}：文件可能不完整。解决办法：重新运行 "
                      "validate-change 生成该报告。",
                      "“{file}” lacks {field}: the file may be incomplete. Fix: run "
                      "validate-change again to write the report."),
    "val_err_read": ("无法读取「{file}」：{reason}", "Cannot read “{file}”: {reason}"),
    "val_err_map": ("找不到地图文件「{file}」。解决办法：把它放回报告所在的文件夹，或用 --map "
                    "重新运行 validate-change。",
                    "Map file “{file}” not found. Fix: put it back in the report's folder, or "
                    "run validate-change again with --map."),
    "val_err_map_read": ("无法读取地图文件「{file}」：{reason}", "Cannot read map file “{file}”: "
                         "{reason}"),
    "val_no_maps": ("该报告没有地图（运行时未指定 --map）。",
                    "This report has no maps (it was run without --map)."),
    # tiles
    "val_fom_learned": ("学习模型 FoM", "FoM of the learned model"),
    "val_fom_best": ("最佳基线 FoM（{name}）", "FoM of the best baseline ({name})"),
    "val_margin": ("领先最佳基线（百分点）", "Margin over the best baseline (points)"),
    "val_margin_over": ("学习模型 − {name}", "learned − {name}"),
    "val_kappa": ("Kappa（学习模型）", "Kappa (learned model)"),
    "val_restricted": ("禁止转换区被改变", "Locked area changed"),
    "val_restricted_ok": ("应为 0：符合", "must be 0: met"),
    "val_restricted_bad": ("应为 0：违反禁止转换约束", "must be 0: the no-change mask is broken"),
    "val_allocation": ("配置求解", "Allocation"),
    "val_status_OPTIMAL": ("最优", "Optimal"),
    "val_status_FEASIBLE": ("可行", "Feasible"),
    "val_status_INFEASIBLE": ("不可行", "Infeasible"),
    "val_status_UNKNOWN": ("无解", "No map"),
    "val_status_MODEL_INVALID": ("模型无效", "Invalid"),
    "val_allocation_help": ("引擎用时 {engine} 秒；最优性差距 {gap}。",
                            "Engine time {engine} s; optimality gap {gap}."),
    # models
    "val_model_learned": ("学习模型", "Learned model"),
    "val_model_null": ("不变（零模型）", "No change (null model)"),
    "val_model_random": ("随机", "Random"),
    "val_model_nearest": ("最近同类", "Nearest same class"),
    # the table of the four models
    "val_table": ("四个模型的得分", "Scores of the four models"),
    "val_col_model": ("模型", "Model"),
    "val_col_fom": ("FoM（%）", "FoM (%)"),
    "val_col_hits": ("命中（公顷）", "Hits (ha)"),
    "val_col_misses": ("遗漏（公顷）", "Misses (ha)"),
    "val_col_wrong_hits": ("错误命中（公顷）", "Wrong hits (ha)"),
    "val_col_false_alarms": ("误报（公顷）", "False alarms (ha)"),
    "val_col_kappa": ("Kappa", "Kappa"),
    "val_col_quantity": ("数量差异（%）", "Quantity disagreement (%)"),
    "val_col_allocation": ("配置差异（%）", "Allocation disagreement (%)"),
    "val_col_restricted": ("禁止区被改变（公顷）", "Locked changed (ha)"),
    "val_table_note": ("真实变化 {observed} 公顷，学习模型模拟变化 {simulated} 公顷。命中：变化且地类正确；"
                       "遗漏：真实变化而模型未变；错误命中：两者都变但地类不同；误报：真实未变而模型改变。",
                       "Observed change {observed} ha, simulated by the learned model "
                       "{simulated} ha. Hit: changed to the right class; miss: changed but "
                       "left as it was; wrong hit: both changed, to different classes; false "
                       "alarm: stayed but the model changed it."),
    # driver contributions and training
    "val_importance": ("驱动因子贡献", "Driver contributions"),
    "val_importance_class": ("转为哪一地类的潜力", "Potential of the class"),
    "val_importance_help": ("该地类得分的平均 |SHAP| 贡献中各驱动因子的占比（前 {n} 个）。",
                            "Each driver's share of the mean |SHAP| contribution to the class's "
                            "score (top {n})."),
    "val_col_driver": ("驱动因子", "Driver"),
    "val_col_share": ("贡献占比", "Share of contribution"),
    "val_feat_class": ("当前地类", "Current class"),
    "val_feat_dist": ("到{cls}的距离", "Distance to {cls}"),
    "val_feat_share": ("{radius} 内{cls}占比", "Share of {cls} within {radius}"),
    "val_feat_dem": ("高程", "Elevation"),
    "val_feat_elevation_m": ("高程", "Elevation"),
    "val_feat_slope_deg": ("坡度", "Slope"),
    "val_feat_pop": ("人口", "Population"),
    "val_feat_population": ("人口", "Population"),
    "val_feat_soil": ("土壤类型", "Soil type"),
    "val_training": ("模型训练（留出样本上的得分）", "Training (scores on held-out cells)"),
    "val_col_measure": ("指标", "Measure"),
    "val_col_value": ("数值", "Value"),
    "val_tr_rows": ("训练单元", "Training cells"),
    "val_tr_held_out_rows": ("留出单元", "Held-out cells"),
    "val_tr_rounds": ("迭代轮数", "Boosting rounds"),
    "val_tr_seconds": ("训练用时（秒）", "Training time (s)"),
    "val_tr_accuracy": ("准确率", "Accuracy"),
    "val_tr_log_loss": ("对数损失", "Log loss"),
    "val_tr_changed_share": ("变化单元占比", "Share of changed cells"),
    "val_tr_accuracy_changed": ("变化单元准确率", "Accuracy on changed cells"),
    "val_tr_log_loss_changed": ("变化单元对数损失", "Log loss on changed cells"),
    # maps
    "val_map_agreement": ("一致性地图（学习模型 vs 真实 {end}）",
                          "Agreement map (learned model vs real {end})"),
    "val_map_allocated": ("模拟的 {end} 地图（学习模型）", "Simulated {end} map (learned model)"),
    "val_agree_persistence": ("正确保持", "Correct persistence"),
    "val_agree_hit": ("命中", "Hit"),
    "val_agree_miss": ("遗漏", "Miss"),
    "val_agree_wrong_hit": ("错误命中", "Wrong hit"),
    "val_agree_false_alarm": ("误报", "False alarm"),
    "val_map_note": ("地图以 {w} × {h} 像素显示（原图 {src_w} × {src_h} 像素，每个方向每 {stride} 个像素取 1 个）。",
                     "Maps drawn at {w} × {h} px (source {src_w} × {src_h} px, one pixel in "
                     "{stride} kept along each axis)."),
}
