"""The rule registry: every rule ID with its titles, source and message templates.

``RULES[rule_id].messages[variant] = (severity, template_zh, template_en)``. Templates name the
numbers of the finding's ``data``; ``{x_zh}`` / ``{x_en}`` show the label of a code. docs/scoring.md
lists every rule ID with its source (checked by tests/scoring/test_docs.py).

Seed documents: 000 = 贺兰县 2020-05-15 (Ningxia), 001 = 安阳市 2021 (Henan), 002 = 内蒙古
2021-06-29, 003 = 霍山县佛子岭镇 2020-03-21 (Anhui), 004 = 沂源县 ~2020 (Shandong); Gzuwkj = the
public Guizhou data-check rules cited in domain.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import codes


@dataclass(frozen=True)
class Rule:
    id: str
    title_zh: str
    title_en: str
    source: str
    messages: dict  # variant -> (severity, zh, en)
    overridable: bool = False  # a county user may override it with a recorded reason

    def to_dict(self) -> dict:
        return {"rule_id": self.id, "title_zh": self.title_zh, "title_en": self.title_en,
                "source": self.source, "overridable": self.overridable,
                "variants": {k: {"severity": v[0], "zh": v[1], "en": v[2]}
                             for k, v in self.messages.items()}}


_E, _W, _I = "error", "warning", "info"
RULES: dict[str, Rule] = {}


def _rule(rule_id, title_zh, title_en, source, overridable=False, **messages):
    RULES[rule_id] = Rule(rule_id, title_zh, title_en, source, messages, overridable)


# ---- income (domain.md §2, §4) --------------------------------------------------------------
_rule("INC-01", "家庭纯收入", "Family net income",
      "domain.md §4.1 (csqiuzhi.com formula; 2023 collection schema columns)",
      net=(_I, "家庭纯收入 {net} 元 = 工资性 {wage} + 生产经营性 {business} − 生产经营性支出 "
                "{business_costs} + 财产性 {property} + 转移性 {transfer}",
           "Family net income {net} yuan = wages {wage} + business {business} − business costs "
           "{business_costs} + property {property} + transfers {transfer}"),
      net_insurance=(_I, "家庭纯收入 {net} 元 = 工资性 {wage} + 生产经营性 {business} − 生产经营性支出 "
                         "{business_costs} + 财产性 {property} + 转移性 {transfer} + 理赔收入 "
                         "{insurance_payouts}",
                     "Family net income {net} yuan = wages {wage} + business {business} − "
                     "business costs {business_costs} + property {property} + transfers "
                     "{transfer} + insurance payouts {insurance_payouts}"))
_rule("INC-02", "人均纯收入", "Per-capita net income",
      "domain.md §4.1 (人均纯收入 = 家庭纯收入 ÷ 家庭共同生活人口数)",
      per_capita=(_I, "人均纯收入 {per_capita} 元 = 家庭纯收入 {net} 元 ÷ 共同生活人口 {people} 人",
                  "Per-capita net income {per_capita} yuan = family net income {net} yuan ÷ "
                  "{people} co-resident people"),
      no_people=(_E, "共同生活人口数为 0 或缺失，无法计算人均纯收入",
                 "No co-resident people: per-capita income cannot be computed"))
_rule("INC-03", "收入统计期", "Income period",
      "000 and Anhui 2020: 界定月份的上年月份至当年上一月 (domain.md §2.2)",
      no_survey_date=(_W, "未填写调查日期，收入统计期按评估日期 {as_of} 推算为 {start} 至 {end}",
                      "No survey date: the income period {start} to {end} is taken from the "
                      "assessment date {as_of}"))
_rule("INC-04", "理赔收入是否计入", "Insurance payouts in income",
      "domain.md §4.1 (stored apart; whether counted is a policy setting)",
      counted=(_I, "理赔收入 {amount} 元按本地政策计入家庭纯收入",
               "Insurance payouts of {amount} yuan are counted as income (local policy)"),
      not_counted=(_I, "理赔收入 {amount} 元按本地政策不计入家庭纯收入",
                   "Insurance payouts of {amount} yuan are not counted as income (local policy)"))
_rule("INC-05", "收支金额不得为负", "Amounts must not be negative", "domain.md §4.1",
      negative=(_E, "{field} 金额为负数（{amount} 元），按 0 计算",
                "{field} is negative ({amount} yuan); counted as 0"),
      not_a_number=(_E, "{field} 不是金额（{value}），按 0 计算",
                    "{field} is not an amount ({value}); counted as 0"))

# ---- 合规自付支出 (domain.md §4.3) ------------------------------------------------------------
_rule("SPD-01", "合规自付支出", "Eligible self-paid spending", "002 (five kinds; domain.md §4.3)",
      total=(_I, "合规自付支出 {total} 元（教育 {education}、医疗 {medical}、住房 {housing}、饮水 "
                 "{water}、灾害事故财产损失 {disaster_loss}）",
             "Eligible self-paid spending {total} yuan (education {education}, medical {medical}, "
             "housing {housing}, water {water}, disaster/accident loss {disaster_loss})"))
_rule("SPD-02", "住房支出须为唯一住房危房", "Housing spending only for an only, dangerous house",
      "002 (housing: rent without a house, or rebuilding the only dangerous house); 000 不予支持",
      safe_grade=(_W, "住房支出 {amount} 元不计入合规自付支出：住房为 {grade} 级，不是 C/D 级危房",
                  "Housing spending of {amount} yuan not counted: the house is grade {grade}, "
                  "not a C/D dangerous house"),
      not_only_house=(_W, "住房支出 {amount} 元不计入合规自付支出：危房不是唯一住房",
                      "Housing spending of {amount} yuan not counted: the dangerous house is "
                      "not the only one"),
      relocated=(_W, "住房支出 {amount} 元不计入合规自付支出：已易地扶贫搬迁安置",
                 "Housing spending of {amount} yuan not counted: the household has been relocated"))
_rule("SPD-03", "教育支出须有在校生", "Education spending needs a student",
      "002 (education: fees of students after subsidies)",
      no_student=(_W, "教育支出 {amount} 元，但家庭成员中没有在校生，请核实凭证",
                  "Education spending of {amount} yuan but no member is in school; "
                  "check the evidence"))
_rule("SPD-04", "医疗支出须有患病成员", "Medical spending needs an ill member",
      "002 (medical: personal share after insurance); domain.md §5.1",
      no_patient=(_W, "医疗支出 {amount} 元，但没有成员为大病、长期慢性病或残疾，请核实凭证",
                  "Medical spending of {amount} yuan but no member has a serious or chronic "
                  "illness or a disability; check the evidence"))

# ---- 两不愁三保障 + 饮水 (domain.md §3.1, §7.2) -----------------------------------------------
_rule("GUA-01", "义务教育有保障", "Compulsory education guaranteed",
      "002 elimination criterion 2 (no economic drop-outs); domain.md §3.1",
      not_met=(_W, "成员 {member}（{relation_zh}，{age} 岁）义务教育阶段因经济困难失学辍学",
               "Member {member} ({relation_en}, {age}) of compulsory-school age is out of school "
               "for economic reasons"),
      other_reason=(_W, "成员 {member}（{relation_zh}，{age} 岁）义务教育阶段失学辍学，原因：{reason_zh}"
                        "（不计为三保障问题，需控辍保学跟进）",
                    "Member {member} ({relation_en}, {age}) of compulsory-school age is out of "
                    "school: {reason_en} (not a guarantee failure; follow up)"),
      no_reason=(_W, "成员 {member}（{relation_zh}，{age} 岁）处于义务教育年龄但未填写在校生状况或失学原因",
                 "Member {member} ({relation_en}, {age}) is of compulsory-school age but has no "
                 "school status or drop-out reason"),
      declared=(_W, "申报存在义务教育阶段失学辍学（原因：{reason_zh}）",
                "Declared: a compulsory-school-age child is out of school ({reason_en})"))
_rule("GUA-02", "基本医疗有保障", "Basic medical care guaranteed",
      "002 elimination criterion 2 (medical insurance); domain.md §3.1",
      not_met=(_W, "成员 {member}（{relation_zh}）因个人原因未参加基本医疗保险，且医疗支出 {medical} 元 ≥ "
                   "{threshold} 元",
               "Member {member} ({relation_en}) has no basic medical insurance for personal "
               "reasons and medical spending is {medical} yuan ≥ {threshold} yuan"),
      attention=(_I, "成员 {member}（{relation_zh}）未参加基本医疗保险，医疗支出 {medical} 元 < {threshold} 元，"
                     "需动员参保",
                 "Member {member} ({relation_en}) has no basic medical insurance; medical "
                 "spending {medical} yuan < {threshold} yuan; encourage enrolment"),
      declared=(_W, "申报有家庭成员未参加基本医疗保险", "Declared: a member has no basic medical insurance"))
_rule("GUA-03", "住房安全有保障", "Safe housing guaranteed",
      "002 elimination criterion 2; domain.md §4.3 (C/D = dangerous)",
      not_met=(_W, "住房为 {grade} 级危房，且为唯一住房", "The only house is a grade {grade} dangerous house"),
      declared=(_W, "申报住房出现安全问题（危房等级：{grade}）",
                "Declared: the house is unsafe (safety grade: {grade})"),
      not_only=(_I, "{grade} 级危房不是唯一住房，不计为住房安全问题",
                "The grade {grade} dangerous house is not the only house; not a housing failure"),
      inconsistent=(_W, "申报住房安全问题为「{declared}」，但危房等级为 {grade} 级",
                    "Declared unsafe housing is '{declared}' but the safety grade is {grade}"))
_rule("GUA-04", "饮水安全有保障", "Safe drinking water guaranteed",
      "002 elimination criterion 2 (safe water); domain.md §3.1 (水质、水量、用水方便程度、供水保证率)",
      not_met=(_W, "饮水安全未达标：{failed_zh}", "Drinking water below standard: {failed_en}"),
      declared=(_W, "申报饮水出现安全问题", "Declared: drinking water is unsafe"),
      inconsistent=(_W, "申报饮水安全问题为「{declared}」，但四项指标未达标项为：{failed_zh}",
                    "Declared unsafe water is '{declared}' but the unmet indicators are: "
                    "{failed_en}"))

# ---- category (domain.md §1) ------------------------------------------------------------------
_rule("CAT-01", "脱贫不稳定户", "Unstable formerly-poor household", "002 (domain.md §1)",
      below=(_I, "脱贫户人均纯收入 {per_capita} 元 < 监测范围 {floor} 元，且有风险（{risks_zh}）→ 脱贫不稳定户",
             "Formerly-poor household: per-capita net income {per_capita} yuan < floor {floor} "
             "yuan and risks ({risks_en}) → unstable formerly-poor household"))
_rule("CAT-02", "边缘易致贫户", "Marginal household at risk", "002 (domain.md §1)",
      below=(_I, "一般农户人均纯收入 {per_capita} 元 < 监测范围 {floor} 元，且有风险（{risks_zh}）→ 边缘易致贫户",
             "Ordinary household: per-capita net income {per_capita} yuan < floor {floor} yuan "
             "and risks ({risks_en}) → marginal household at risk of poverty"))
_rule("CAT-03", "突发严重困难户", "Household in sudden severe hardship",
      "002 (domain.md §1, §4.4: rigid spending or income drop; test and ratio are policy settings)",
      spending=(_I, "人均纯收入 {per_capita} 元 ≥ 监测范围 {floor} 元，但扣除合规自付支出 {spending} 元后人均 "
                    "{after_spending} 元 < {floor} 元，且有风险（{risks_zh}）→ 突发严重困难户",
                "Per-capita net income {per_capita} yuan ≥ floor {floor} yuan, but after eligible "
                "spending of {spending} yuan it is {after_spending} yuan < {floor} yuan, with risks "
                "({risks_en}) → household in sudden severe hardship"),
      spending_exceeds=(_I, "人均纯收入 {per_capita} 元 ≥ 监测范围 {floor} 元，但合规自付支出 {spending} 元 > "
                            "家庭纯收入 {net} 元，且有风险（{risks_zh}）→ 突发严重困难户",
                        "Per-capita net income {per_capita} yuan ≥ floor {floor} yuan, but "
                        "eligible spending {spending} yuan > family net income {net} yuan, with "
                        "risks ({risks_en}) → household in sudden severe hardship"),
      income_drop=(_I, "人均纯收入 {per_capita} 元 ≥ 监测范围 {floor} 元，但家庭纯收入 {net} 元较上年 {previous} 元"
                       "下降 {drop_pct}%（≥ {ratio_pct}%），且有风险（{risks_zh}）→ 突发严重困难户",
                   "Per-capita net income {per_capita} yuan ≥ floor {floor} yuan, but family net "
                   "income {net} yuan fell {drop_pct}% from {previous} yuan (≥ {ratio_pct}%), with "
                   "risks ({risks_en}) → household in sudden severe hardship"))
_rule("CAT-04", "不属于监测对象", "Not a monitoring object", "002 (domain.md §1)",
      above=(_I, "人均纯收入 {per_capita} 元 ≥ 监测范围 {floor} 元，无刚性支出过大或收入骤减 → 不属于监测对象",
             "Per-capita net income {per_capita} yuan ≥ floor {floor} yuan, no excessive rigid "
             "spending or income drop → not a monitoring object"),
      below_no_risk=(_W, "人均纯收入 {per_capita} 元 < 监测范围 {floor} 元，但未发现致贫返贫风险 → 暂不纳入，请核实风险",
                     "Per-capita net income {per_capita} yuan < floor {floor} yuan but no risk "
                     "found → not included; verify the risks"),
      hardship_no_cause=(_W, "人均纯收入 {per_capita} 元 ≥ 监测范围 {floor} 元，刚性支出过大或收入骤减，但风险"
                             "（{risks_zh}）不属于突发困难原因（{causes_zh}）→ 暂不纳入，请核实",
                         "Per-capita net income {per_capita} yuan ≥ floor {floor} yuan with heavy "
                         "spending or an income drop, but the risks ({risks_en}) are not sudden-"
                         "hardship causes ({causes_en}) → not included; verify"),
      unknown=(_E, "无法计算人均纯收入，未判定类别", "Per-capita income unknown: no category decided"))
_rule("CAT-05", "安徽脱贫户分类", "Anhui classes of formerly-poor households",
      "003 (霍山县佛子岭镇 2020-03-21; 15416 = Anhui 2019 rural per-capita disposable income)",
      monitored=(_I, "脱贫户人均纯收入 {per_capita} 元 < {floor} 元且有风险 → 脱贫监测户",
                 "Per-capita net income {per_capita} yuan < {floor} yuan with risk → monitored "
                 "formerly-poor household"),
      entitled=(_I, "脱贫户人均纯收入 {per_capita} 元，低于 {line} 元或有风险 → 享受政策的脱贫户",
                "Per-capita net income {per_capita} yuan, below {line} yuan or with risk → "
                "formerly-poor household keeping its policies"),
      not_entitled=(_I, "脱贫户人均纯收入 {per_capita} 元 ≥ {line} 元且无风险 → 不享受政策的脱贫户",
                    "Per-capita net income {per_capita} yuan ≥ {line} yuan and no risk → "
                    "formerly-poor household no longer receiving subsidy-type funds"))
_rule("CAT-06", "沂源相对贫困认定", "Yiyuan relative-poverty test",
      "004 (沂源县: 33% of the previous year's rural per-capita disposable income; qualitative test)",
      quantitative=(_I, "人均纯收入 {per_capita} 元 < 相对贫困线 {floor} 元（{base_year} 年农村居民人均可支配收入 "
                        "{base} 元 × {ratio_pct}%）→ 相对贫困",
                    "Per-capita net income {per_capita} yuan < relative-poverty line {floor} "
                    "yuan ({ratio_pct}% of {base_year} rural disposable income {base} yuan) → "
                    "relatively poor"),
      qualitative=(_I, "人均纯收入 {per_capita} 元 ≥ 相对贫困线 {floor} 元，但{reason_zh} → 相对贫困（定性）",
                   "Per-capita net income {per_capita} yuan ≥ line {floor} yuan, but "
                   "{reason_en} → relatively poor (qualitative)"),
      no=(_I, "人均纯收入 {per_capita} 元 ≥ 相对贫困线 {floor} 元，三保障无问题，无突发困难 → 非相对贫困",
          "Per-capita net income {per_capita} yuan ≥ line {floor} yuan, guarantees met, no "
          "sudden hardship → not relatively poor"))

# ---- risk consistency (domain.md §5.1) --------------------------------------------------------
_rule("RSK-01", "因病风险须有佐证", "Illness risk needs evidence", "Gzuwkj 5_15_020; domain.md §5.1",
      no_patient=(_W, "申报因病风险，但没有成员为大病或长期慢性病",
                  "Illness risk declared but no member has a serious or chronic illness"),
      no_spending=(_W, "申报因病风险，但医疗支出为 0", "Illness risk declared but medical spending is 0"))
_rule("RSK-02", "因残风险须有残疾成员", "Disability risk needs a disabled member", "domain.md §5.1",
      no_disabled=(_W, "申报因残风险，但没有残疾成员", "Disability risk declared but no member is disabled"))
_rule("RSK-03", "缺劳动力风险核查", "Lack-of-labour risk check", "Gzuwkj (domain.md §5.1)",
      able=(_W, "申报缺劳动力，但 {members} 名成员中有 {able} 名普通或技能劳动力（超过四分之一）",
            "Lack of labour declared but {able} of {members} members are able workers "
            "(more than a quarter)"))
_rule("RSK-04", "务工就业不稳风险核查", "Unstable-employment risk check", "Gzuwkj (domain.md §5.1)",
      no_labour=(_W, "申报因务工就业不稳，但没有成员有劳动能力",
                 "Unstable employment declared but no member can work"),
      no_work=(_W, "申报因务工就业不稳，但没有成员有务工记录",
               "Unstable employment declared but no member has a work record"))
_rule("RSK-05", "自然灾害风险须填子项", "Natural-disaster risk needs its sub-item",
      "Gzuwkj (domain.md §5.1: 子项 required)",
      no_subitem=(_W, "申报因自然灾害风险，但未填写灾害子项",
                  "Natural-disaster risk declared without its sub-item"))
_rule("RSK-06", "其他风险须填说明", "Other risk needs a note", "domain.md §5.1 (free-text note required)",
      no_note=(_W, "申报其他风险，但未填写说明", "'Other' risk declared without a note"))
_rule("RSK-07", "因学风险须有在校生", "Schooling risk needs a student", "domain.md §5.1",
      no_student=(_W, "申报因学风险，但没有在校生", "Schooling risk declared but no member is in school"))
_rule("RSK-08", "住房/饮水风险须与三保障一致", "Housing/water risk must match the guarantees",
      "domain.md §5.1, §3.1",
      housing_met=(_W, "申报住房出现安全问题风险，但住房安全判定为已保障",
                   "Unsafe-housing risk declared but housing is assessed as safe"),
      water_met=(_W, "申报饮水出现安全问题风险，但饮水安全判定为已保障",
                 "Unsafe-water risk declared but drinking water is assessed as safe"))
_rule("RSK-09", "风险项数与重复", "Number of risks and duplicates",
      "domain.md §5.1 (致贫/返贫风险1–5)",
      too_many=(_E, "风险填写 {count} 项，最多 {max} 项", "{count} risks given; at most {max}"),
      duplicate=(_W, "风险重复填写：{risk_zh}", "Risk given twice: {risk_en}"),
      unknown_code=(_E, "未知风险代码：{code}", "Unknown risk code: {code}"))
_rule("RSK-10", "数据显示未申报的风险", "Data imply an undeclared risk",
      "domain.md §5.1 (consistency checks); 000 (≥ 2 college students, Ningxia 2020)",
      inferred=(_W, "数据显示{evidence_zh}，但未申报「{risk_zh}」风险",
                "The data show {evidence_en}, but the risk '{risk_en}' is not declared"))

# ---- exclusions (domain.md §6) ----------------------------------------------------------------
_EXC_SOURCE = ("002 step 6 (eight categories, domain.md §6.1); 004 reverse criteria (§6.2); "
               "000 exceptions (§6.3). Warnings, never rejection")
for _i, _code in enumerate(codes.EXCLUSION.codes, start=1):
    _item = codes.EXCLUSION.get(_code)
    _rule(f"EXC-{_i:02d}", _item.zh, _item.en, _EXC_SOURCE, overridable=True,
          hit=(_W, f"排除情形：{_item.zh}。需县级比对核实；如属特殊情况，可记录理由后保留",
               f"Exclusion: {_item.en}. The county must verify it; a special case may be kept "
               "with a recorded reason"),
          may_admit=(_W, f"排除情形：{_item.zh}。但两不愁三保障实际薄弱（{{failed_zh}}），按本地政策可记录理由后纳入",
                     f"Exclusion: {_item.en}. But the guarantees are actually weak "
                     "({failed_en}); local policy allows admission with a recorded reason"))
EXCLUSION_RULE = {code: f"EXC-{i:02d}" for i, code in enumerate(codes.EXCLUSION.codes, start=1)}

# ---- plausibility (domain.md §4.5, §8.4) ------------------------------------------------------
_rule("PLS-01", "身份证号码校验", "ID number check", "GB 11643-1999; Gzuwkj 1_12_002, 4_01_003 (domain.md §8.4)",
      check_digit=(_E, "成员 {member}（{relation_zh}）证件号码校验位错误",
                   "Member {member} ({relation_en}): ID number check character is wrong"),
      format=(_E, "成员 {member}（{relation_zh}）证件号码格式错误（{length} 位，应为 18 位）",
              "Member {member} ({relation_en}): malformed ID number ({length} characters, "
              "18 expected)"),
      bad_date=(_E, "成员 {member}（{relation_zh}）证件号码中的出生日期不存在",
                "Member {member} ({relation_en}): the birth date inside the ID number is impossible"),
      placeholder=(_W, "成员 {member}（{relation_zh}）证件号码为占位号（999999 开头），视为无证件",
                   "Member {member} ({relation_en}): placeholder ID number (999999…), treated as "
                   "no ID"),
      missing=(_W, "成员 {member}（{relation_zh}）未填写证件号码",
               "Member {member} ({relation_en}): no ID number"),
      head_mismatch=(_W, "户主证件号码与户主成员的证件号码不一致",
                     "The household head's ID number differs from the head member's"),
      duplicate=(_E, "成员 {member} 与成员 {other} 证件号码相同",
                 "Members {member} and {other} have the same ID number"))
_rule("PLS-02", "出生日期与身份证一致", "Birth date matches the ID", "domain.md §8.4",
      mismatch=(_E, "成员 {member}（{relation_zh}）出生日期 {recorded} 与证件号码中的 {from_id} 不一致",
                "Member {member} ({relation_en}): birth date {recorded} differs from {from_id} "
                "in the ID number"))
_rule("PLS-03", "性别与身份证一致", "Sex matches the ID", "domain.md §8.4 (17th digit odd = male)",
      mismatch=(_E, "成员 {member}（{relation_zh}）性别为{recorded_zh}，证件号码显示为{from_id_zh}",
                "Member {member} ({relation_en}): sex is {recorded_en} but the ID number says "
                "{from_id_en}"))
_rule("PLS-04", "性别与家庭关系一致", "Sex matches the relationship",
      "public data-check tool B (户主 and 配偶 of the same sex flagged; domain.md §8.4)",
      head_spouse=(_W, "户主与配偶性别相同（{sex_zh}）", "Head and spouse have the same sex ({sex_en})"),
      relation=(_W, "成员 {member} 与户主关系为 {relation_zh}，但性别为{sex_zh}",
                "Member {member} is '{relation_en}' but recorded as {sex_en}"))
_rule("PLS-05", "年龄与在校状况一致", "Age matches schooling", "domain.md §3.3, §8.4",
      age=(_W, "成员 {member}（{relation_zh}）{age} 岁，在校生状况为 {status_zh}（通常 {min}–{max} 岁）",
           "Member {member} ({relation_en}) is {age} but in '{status_en}' (usually {min}–{max})"))
_rule("PLS-06", "文化程度与在校生状况二选一", "Exactly one of education and school status",
      "public data-check tool B (domain.md §3.3)",
      both=(_W, "成员 {member}（{relation_zh}）同时填写了文化程度和在校生状况",
            "Member {member} ({relation_en}) has both an education level and a school status"),
      neither=(_W, "成员 {member}（{relation_zh}）文化程度和在校生状况均未填写",
               "Member {member} ({relation_en}) has neither an education level nor a school status"))
_rule("PLS-07", "年龄与劳动技能一致", "Age matches labour ability", "domain.md §8.4",
      child_labour=(_W, "成员 {member}（{relation_zh}）{age} 岁（未满 16 岁），劳动技能为 {labour_zh}",
                    "Member {member} ({relation_en}) is {age} (under 16) but labour ability is "
                    "'{labour_en}'"),
      no_labour=(_W, "成员 {member}（{relation_zh}）{age} 岁、健康、不在校，劳动技能却为 {labour_zh}",
                 "Member {member} ({relation_en}) is {age}, healthy and not in school, but labour "
                 "ability is '{labour_en}'"))
_rule("PLS-08", "联系电话格式", "Phone number format", "data-check messages (domain.md §8.4: 11-digit mobile)",
      household=(_E, "户联系电话不是 11 位手机号码", "The household phone is not an 11-digit mobile number"),
      member=(_W, "成员 {member} 联系电话不是 11 位手机号码",
              "Member {member}'s phone is not an 11-digit mobile number"))
_rule("PLS-09", "土地面积与道路距离范围", "Land and road-distance ranges", "Gzuwkj 5_14_* (domain.md §4.5)",
      land=(_W, "{field_zh}面积 {value} 亩超出 0–{max} 亩", "{field_en} of {value} mu is outside 0–{max} mu"),
      road=(_W, "与村主干路距离 {value} 公里超过 {max} 公里",
            "Distance to the village main road {value} km exceeds {max} km"))
_rule("PLS-10", "收入合理性", "Income plausibility", "Gzuwkj 5_15_023, 1111_18, 1111_12 (domain.md §4.5)",
      wage_tiny=(_W, "工资性收入 {wage} 元在 0–100 元之间，疑似以万元或月为单位填写",
                 "Wage income {wage} yuan is between 0 and 100; probably entered in 10,000s or per month"),
      per_capita_high=(_W, "人均纯收入 {per_capita} 元 > {max} 元，请核实",
                       "Per-capita net income {per_capita} yuan > {max} yuan; verify"),
      monthly_wage_low=(_W, "务工收入 {wage} 元 ÷ 务工 {months} 个月 = 月均 {monthly} 元 < {min} 元",
                        "Wages {wage} yuan ÷ {months} months worked = {monthly} yuan a month < {min} yuan"))
_rule("PLS-11", "享受低保特困须有转移性收入", "低保/特困 needs transfer income",
      "Gzuwkj 4_11_013 (domain.md §4.5)",
      no_transfer=(_W, "有 {count} 名成员享受{scheme_zh}，但{item_zh}为 0",
                   "{count} members receive {scheme_en}, but {item_en} is 0"))
_rule("PLS-12", "家庭成员结构", "Household members", "domain.md §3.2 (与户主关系)",
      no_members=(_E, "没有家庭成员", "No household members"),
      no_head=(_E, "没有与户主关系为「户主」的成员", "No member is the household head"),
      many_heads=(_E, "有 {count} 名成员为「户主」", "{count} members are recorded as head"),
      household_type=(_E, "户类型未填写或无效（{value}），按一般农户判定类别",
                      "Household type missing or invalid ({value}); categorised as an ordinary household"),
      people_count=(_W, "家庭人口数 {people_count} 与共同生活成员 {coresident} 人不一致，按 {people} 人计算人均",
                    "Household size {people_count} differs from {coresident} co-resident members; "
                    "per-capita uses {people}"))

_rule("PLS-13", "整户无劳动能力与成员一致", "Whole household without labour matches the members",
      "domain.md §3.1 (整户无劳动能力兜底保障户), §3.3 (劳动技能)",
      declared_but_able=(_W, "申报为整户无劳动能力兜底保障户，但有 {working} 名成员有劳动能力（普通、技能或弱劳动力）",
                         "Declared a household without labour capacity, but {working} members can "
                         "work (ordinary, skilled or weak labour)"))

# ---- assistance measures (domain.md §5.2) ------------------------------------------------------
_rule("MEA-01", "识别后一个月内落实帮扶措施", "A measure within a month of identification",
      "Gzuwkj rules/1_11_010 (domain.md §5.2 timeliness)",
      none=(_W, "识别于 {identified}，已 {months} 个月，尚无帮扶措施",
            "Identified on {identified}, {months} months ago, and no assistance measure yet"))
_rule("MEA-02", "有劳动力户须有开发式帮扶", "Households with labour need developmental measures",
      "Gzuwkj rules/5_12_007 (domain.md §5.2: 开发式 = 产业 + 就业 + 金融 + 公益岗位)",
      none=(_W, "识别已 {months} 个月，有 {able} 名劳动力，但没有产业、就业、金融或公益岗位帮扶",
            "Identified {months} months ago with {able} able workers, but no industry, "
            "employment, finance or public-job measure"))
_rule("MEA-03", "风险须有对应帮扶措施", "Each risk needs a matching measure",
      "domain.md §5.1 (consistency column: 因病 → 健康/社会帮扶, 因残 → 综合保障/社会帮扶, …)",
      missing=(_W, "有「{risk_zh}」风险，但没有对应帮扶措施（{measures_zh}）",
               "Risk '{risk_en}' has no matching measure ({measures_en})"))

# ---- risk elimination (domain.md §7.2, §7.5) --------------------------------------------------
_ELM = "002 (four criteria, domain.md §7.2)"
_rule("ELM-01", "帮扶措施到位", "Assistance measures in place", _ELM + "; later norms ≥ 1 measure",
      too_few=(_I, "帮扶措施 {count} 项，少于 {min} 项", "{count} measures recorded, fewer than {min}"),
      checked_no=(_I, "风险消除核查：帮扶措施未落实", "Elimination check: measures not in place"))
_rule("ELM-02", "三保障和饮水安全巩固", "Guarantees and safe water consolidated", _ELM,
      not_met=(_I, "三保障或饮水安全未达标：{failed_zh}", "Guarantees not met: {failed_en}"),
      unknown=(_I, "三保障或饮水安全未核实：{unknown_zh}", "Guarantees not verified: {unknown_en}"),
      checked_no=(_I, "风险消除核查：三保障和饮水安全未巩固",
                  "Elimination check: guarantees not consolidated"))
_rule("ELM-03", "收入持续稳定高于监测范围", "Income stably above the floor",
      _ELM + "; later norms: stable ≥ half a year (yjq.gov.cn, zongyang.gov.cn)",
      below=(_I, "人均纯收入 {per_capita} 元 < 监测范围 {floor} 元", "Per-capita net income {per_capita} yuan < floor {floor} yuan"),
      unstable=(_I, "近 {months} 个月内 {on} 的评估人均纯收入 {per_capita} 元 < 当时监测范围 {floor} 元",
                "Within the last {months} months, the assessment of {on} had {per_capita} yuan "
                "< that floor {floor} yuan"),
      checked_no=(_I, "风险消除核查：收入不稳定", "Elimination check: income not stable"))
_rule("ELM-04", "刚性支出问题解决", "Large rigid spending resolved", _ELM,
      spending=(_I, "刚性支出或收入骤减问题尚未解决", "Heavy rigid spending or income drop not resolved"),
      checked_no=(_I, "风险消除核查：刚性支出问题未解决", "Elimination check: spending not resolved"))
_rule("ELM-05", "识别当月不得消除", "No elimination in the month of identification",
      "002 (怎么进怎么出: never identify and eliminate in the same month)",
      same_month=(_I, "识别监测月份 {identified} 与本次月份相同，不得消除",
                  "Identified in {identified}, the same month: elimination not allowed"))
_rule("ELM-06", "最短监测时长", "Minimum months in monitoring",
      "later norms: identified ≥ 6 months before elimination (yjq.gov.cn; Gzuwkj 2_11_002)",
      too_early=(_I, "识别于 {identified}，已监测 {months} 个月 < {min} 个月，最早 {earliest} 可消除",
                 "Identified on {identified}: {months} months in monitoring < {min}; earliest "
                 "{earliest}"),
      no_date=(_I, "缺少识别监测日期，无法核对监测时长", "No identification date: time in monitoring unknown"))
_rule("ELM-07", "整户无劳动能力不消除", "Households without labour stay monitored",
      "002 (no labour → after social protection stay monitored); later norms",
      no_labour=(_I, "整户无劳动能力（{reason_zh}），落实兜底保障后继续监测",
                 "The whole household has no labour capacity ({reason_en}); stays monitored "
                 "after social protection"))
_rule("ELM-08", "按季度开放消除", "Quarterly elimination window",
      "002 (system function opened quarterly; 动态管理 in the last month of each quarter)",
      closed=(_I, "本月（{month}）不是风险消除开放月份（{months}），下次 {next}",
              "This month ({month}) is not an elimination month ({months}); next {next}"))
_rule("ELM-09", "渐退期", "Gradual exit", "001 (安阳市 2021: 6–12 month taper; 低保渐退)",
      taper=(_I, "享受低保，消除后设 {months} 个月渐退期，至 {until}",
             "Receives 低保: a {months}-month gradual exit after elimination, until {until}"))
_rule("ELM-10", "符合风险消除条件", "Eligible for risk elimination", _ELM,
      eligible=(_I, "四项消除标准和时间要求均已满足，可提出风险消除",
                "All four criteria and the time rules are met; elimination may be proposed"))

# Water indicators, in codes-like shape for labels.
WATER_ITEMS = {"quality": ("水质", "quality"), "quantity": ("水量", "quantity"),
               "convenience": ("用水方便程度", "convenience"), "reliability": ("供水保证率", "reliability")}
GUARANTEE_ITEMS = {"education": ("义务教育", "compulsory education"),
                   "medical": ("基本医疗", "basic medical care"),
                   "housing": ("住房安全", "safe housing"), "water": ("饮水安全", "safe water")}
_LAND = {"cultivated": ("耕地", "Cultivated land"), "forest": ("林地", "Forest land"),
         "returned_farmland": ("退耕还林", "Returned farmland"), "orchard": ("林果地", "Orchard"),
         "grassland": ("牧草地", "Grassland"), "water_surface": ("水面", "Water surface")}
_EVIDENCE = {
    "illness": ("成员患大病或长期慢性病且有医疗支出", "a member with serious or chronic illness and medical spending"),
    "disability": ("有残疾成员", "a disabled member"),
    "lack_of_labour": ("没有普通或技能劳动力", "no able worker"),
    "housing": ("住房安全未保障", "unsafe housing"),
    "water": ("饮水安全未保障", "unsafe water"),
    "education": ("有因经济困难失学的成员或多名大学生", "an economic drop-out or several college students"),
}
_SCHEMES = {"dibao": ("低保", "低保 (minimum living allowance)"), "tekun": ("特困供养", "特困 support")}
_TRANSFER_ITEMS = {"dibao": ("低保金", "低保 income"), "tekun": ("特困供养金", "特困 income"),
                   "transfer": ("转移性收入", "transfer income")}
_NO_LABOUR_REASONS = {"declared": ("申报为整户无劳动能力兜底保障户", "declared"),
                      "members": ("没有成员具备劳动能力", "no member can work")}
_QUALITATIVE = {
    "guarantees": ("三保障或饮水未达标", "a guarantee is not met"),
    "hardship": ("因病、因学或意外刚性支出过大", "heavy spending from illness, schooling or accident"),
}
_INCOME_FIELDS = {**{k: v for k, v in codes.INCOME_COMPONENTS.items()},
                  "insurance_payouts": ("理赔收入", "Insurance payouts"),
                  "spending": ("合规自付支出", "Eligible spending")}

_LABELS = {
    "relation": codes.RELATION, "risk": codes.RISK, "risks": codes.RISK, "causes": codes.RISK,
    "status": codes.SCHOOL_STATUS, "reason": codes.DROPOUT_REASON, "labour": codes.LABOUR_SKILL,
    "sex": codes.SEX, "recorded": codes.SEX, "from_id": codes.SEX, "grade": codes.HOUSE_GRADE,
    "category": codes.CATEGORY, "exclusion": codes.EXCLUSION, "measures": codes.MEASURE,
}
_DICT_LABELS = {"failed": {**WATER_ITEMS, **GUARANTEE_ITEMS},
                "unknown": GUARANTEE_ITEMS, "field": {**_LAND, **_INCOME_FIELDS},
                "evidence": _EVIDENCE, "scheme": _SCHEMES, "item": _TRANSFER_ITEMS}


_LABEL_CACHE: dict = {}


def label(field: str, value, lang: str) -> str:
    """The zh or en label of a code that appears in finding data under ``field``."""
    try:
        return _LABEL_CACHE[field, value, lang]
    except KeyError:
        text = _label(field, value, lang)
        if len(_LABEL_CACHE) < 4096:  # codes are few; odd values from bad data are not kept
            _LABEL_CACHE[field, value, lang] = text
        return text
    except TypeError:  # unhashable value
        return _label(field, value, lang)


def _label(field: str, value, lang: str) -> str:
    if value is None:
        return "—"
    table = _DICT_LABELS.get(field)
    if table is None and field == "reason":
        table = {**_NO_LABOUR_REASONS, **_QUALITATIVE}
        if value not in table:
            table = None
    if table is not None:
        pair = table.get(value)
        if pair is None:
            return str(value)
        return pair[0] if lang == "zh" else pair[1]
    cl = _LABELS.get(field)
    if cl is not None and value in cl:
        item = cl.get(value)
        return item.zh if lang == "zh" else item.en
    return str(value)


def rules_table() -> list[dict]:
    """All rules as plain dicts (for the console and docs)."""
    return [r.to_dict() for r in RULES.values()]
