"""The catalog: every field of every shipped form, declared once (domain.md §1–§5, §6, §8.4).

``CATALOG`` is the ordered tree of groups and fields; ``FORMS`` says what each form is (title,
entity behaviour, instance name). Policy-dependent text uses the tokens ``[[floor]]``,
``[[period]]``, ``[[region]]``, ``[[year]]`` and ``[[payouts]]``, filled in by the generator.
"""
from __future__ import annotations

from dataclasses import dataclass

from scoring import codes

from .fields import (AUTHORIZATION as AU, ELIMINATION_CHECK as EC, FOLLOWUP_VISIT as FU,
                     HOUSEHOLD_SURVEY as HS, SELF_DECLARATION as SD, Field, Group, amount, calc,
                     group, note, q, select, walk, yes_no)
from .policy import REGIONS_CSV
from .xpath import PHONE_REGEX, age_on, id_birth_date, id_problem, id_sex, id_valid

HOUSEHOLDS_CSV = "households.csv"
DATASET = "households"
PHOTO = "max-pixels=1600"

_PHONE = dict(constraint=PHONE_REGEX, constraint_msg=(
    "手机号码应为11位数字，以1开头", "A mobile number has 11 digits and starts with 1"),
    appearance="numbers")
_NOT_FUTURE = (". <= today()", ("日期不能晚于今天", "The date cannot be in the future"))


@dataclass(frozen=True)
class FormDef:
    """What a form is: its title, how it treats the household entity, its instance name."""

    form_id: str
    title_zh: str
    title_en: str
    instance_name: str
    entity: str | None = None        # "create" | "update" | None
    prefill: bool = False            # pre-fill entity-backed fields from the chosen household
    entity_label: str | None = None  # label expression for a created entity


FORMS: dict[str, FormDef] = {f.form_id: f for f in (
    FormDef(HS, "防返贫监测对象信息采集表", "Monitoring household information form",
            "concat(${village_name}, '-', ${head_name})", entity="create",
            entity_label="concat(${head_name}, '（', ${village_name}, '）')"),
    FormDef(FU, "监测回访", "Monitoring follow-up visit",
            "concat('回访-', ${household_label}, '-', ${survey_date})", entity="update", prefill=True),
    FormDef(EC, "风险消除核查", "Risk elimination check",
            "concat('消除核查-', ${household_label}, '-', ${survey_date})", prefill=True),
    FormDef(SD, "农户自主申报", "Household self-declaration",
            "concat('自主申报-', ${head_name}, '-', ${survey_date})"),
    FormDef(AU, "承诺授权书（代签）", "Authorization letter (proxy signature)",
            "concat('授权书-', ${head_name}, '-', ${survey_date})"),
)}

ALL_FORMS = (HS, FU, EC, SD, AU)

# -- location ------------------------------------------------------------------------------------
_location = group("location", "所在地", "Location", forms=ALL_FORMS, appearance="field-list", children=[
    q("county", "select_one_from_file", "县(市、区、旗)", "County", choices=REGIONS_CSV,
      required=True, choice_filter="level='county'", prefill=False, export="县", default="[[county]]"),
    q("township", "select_one_from_file", "乡(镇)", "Township", choices=REGIONS_CSV,
      required=True, choice_filter="level='township' and parent=${county}", prefill=False, export="乡"),
    q("village", "select_one_from_file", "行政村", "Village", choices=REGIONS_CSV, required=True,
      choice_filter="level='village' and parent=${township}", prefill=False, record="region_code",
      entity="region_code", export="村"),
    calc("village_name", "instance('regions')/root/item[name=${village}]/label", forms=(HS,)),
    q("group_name", "text", "自然村/组", "Natural village / group", forms=(HS, SD),
      record="group", export="自然村"),
    q("address", "text", "家庭住址", "Address", forms=(HS,), record="address"),
    q("household_no", "text", "户编号（全国系统已有的填写，没有的留空）",
      "Household number in the national system (leave blank if none)", forms=(HS,),
      record="household_no", export="户编号"),
    q("household", "select_one_from_file", "选择监测户", "Household", forms=(FU, EC),
      choices=HOUSEHOLDS_CSV, required=True, choice_filter="region_code=${village}",
      prefill=False, record="entity_id", appearance="autocomplete",
      hint=("只列出本村已登记的监测户", "Only households registered in this village are listed")),
    calc("household_label", f"instance('{DATASET}')/root/item[name=${{household}}]/label",
         forms=(FU, EC)),
])

def _people_count(**kw) -> Field:
    """家庭（共同生活）人口数 — declared here once; the household survey asks it after the member
    list (so Collect can check it against the members when the cadre leaves the question)."""
    base = dict(required=True, record="people_count", entity="people_count", export="家庭人口数",
                constraint=". >= 1 and . <= 30", constraint_msg=("人口数应在1到30之间", "Between 1 and 30 people"),
                hint=("人均收入按此人数计算", "Per-capita income is divided by this number"))
    base.update(kw)
    return q("people_count", "integer", "家庭（共同生活）人口数", "People living in the household", **base)


# -- household head and household facts ---------------------------------------------------------
def _id_msg(name: str) -> tuple[str, str]:
    """The constraint message of an ID number; the note ``<name>_problem_note`` under the field says
    which rule failed (Collect evaluates a message before it stores the answer, so a message
    naming the rule would describe the previous answer)."""
    return ("证件号码有误，请看下方提示（位数 / 出生日期 / 校验位）",
            "The ID number is wrong: see the note below (length / birth date / check character)")


def _id_problem_calcs(name: str, ref: str, **kw) -> list[Field]:
    """The rule an ID number breaks (位数 / 出生日期 / 校验位), shown under the field."""
    return [calc(f"{name}_problem", id_problem(ref, "zh"), **kw),
            calc(f"{name}_problem_en", id_problem(ref, "en"), **kw),
            note(f"{name}_problem_note", f"⚠ 证件号码：${{{name}_problem}}", f"⚠ ID number: ${{{name}_problem_en}}",
                 relevant=f"string-length({ref}) > 0 and ${{{name}_problem}} != ''", **kw)]


_head = group("head", "户基本情况", "Household", forms=(HS, FU, EC, SD, AU), appearance="field-list", children=[
    q("head_name", "text", "户主姓名", "Name of the household head", forms=(HS, SD, AU),
      required=True, record="head_name", entity="head_name", export="户主姓名",
      per_form={SD: dict(zh="户主姓名（您家户口本上的户主）", en="Household head (as in the hukou book)")}),
    q("head_id_number", "text", "户主证件号码", "ID number of the household head", forms=(HS, SD, AU),
      required=True, constraint=id_valid("."), constraint_msg=_id_msg("head_id"), record="head_id_number",
      export="户主证件号码", id_number=True,
      hint=("18位居民身份证号码，末位可为X", "18-character resident ID; the last may be X"),
      per_form={SD: dict(zh="户主身份证号码", en="ID card number of the household head")}),
    *_id_problem_calcs("head_id", "${head_id_number}", forms=(HS, SD, AU)),
    q("phone", "text", "户联系电话", "Household phone", forms=(HS, SD), required=True,
      record="phone", export="户联系电话", **_PHONE,
      per_form={SD: dict(zh="您的手机号码", en="Your mobile number")}),
    select("household_type", "household_type", forms=(HS,), record="household_type",
           entity="household_type", export="户类型"),
    # 军烈属, 易地扶贫搬迁户, 整户无劳动能力, 普通话: one "tick what applies" for the household.
    select("household_flags", "household_flags", multiple=True, forms=(HS,),
           constraint="not(selected(., 'none') and count-selected(.) > 1)",
           constraint_msg=("选了“以上均无”就不能再选其他情形", "'None of the above' excludes the others")),
    *(calc(name, f"if(${{household_flags}} = '', '', if(selected(${{household_flags}}, '{code}'), 'yes', 'no'))",
           value="bool", forms=(HS,), record=record, export=export)
      for name, code, record, export in (
          ("military_family", "military_family", "military_family", "是否军烈属"),
          ("relocated_household", "relocated", None, None),
          ("whole_household_no_labour", "no_labour", "whole_household_no_labour", None))),
    calc("all_mandarin", "if(${household_flags} = '', '', "
                         "if(selected(${household_flags}, 'no_mandarin'), 'no', 'yes'))", forms=(HS,)),
    # 家庭人口数 in the household survey is the count of co-resident members (not typed again).
    calc("people_count", "count(${member}[coresident = 'yes'])", value="int", forms=(HS,), record="people_count",
         entity="people_count", export="家庭人口数"),
    _people_count(forms=(FU, EC, SD), per_form={
        SD: dict(zh="家里一起生活的有几口人？", en="How many people live in your household?")}),
    # 易地扶贫搬迁 is asked once, for the household; every member's 是否易地扶贫搬迁人口 follows it.
    yes_no("settlement_entered", "是否居住在易地扶贫搬迁集中安置区", "Lives in a poverty-relocation settlement",
           forms=(HS,), relevant="${relocated_household} = 'yes'"),
    calc("relocated_settlement", "if(${relocated_household} = 'yes', ${settlement_entered}, "
         "if(${relocated_household} = 'no', 'no', ''))", value="bool", forms=(HS,),
         record="relocated_settlement"),
    q("settlement_address", "text", "安置区地址", "Settlement address", forms=(HS,), required=True,
      relevant="${relocated_settlement} = 'yes'", record="settlement_address"),
])

# -- members (domain.md §3.2) ----------------------------------------------------------------------
# Member 1 is the head: name and ID come from the head's answers above (asked once). The questions
# of the other members are the *_entered fields; the record reads the calculations of the old names.
_FIRST = "${member_no} = 1"
_OTHER = "${member_no} > 1"
_IS_OTHER_ID = "${id_type} = 'other'"
_WORKS = "${work_months} > 0"
_FAR = "(${work_location} = 'out_province' or ${work_location} = 'other')"
# 务工 and 公益岗 are asked of members who can work: 16 or older, not in school, not without labour.
_CAN_WORK = ("${age} >= 16 and ${in_school} = 'no' and ${labour_skill} != 'lost' "
             "and ${labour_skill} != 'none'")
_INSURANCE = {"resident_medical": ("resident_medical_insurance", "是否参加城乡居民基本医疗保险",
                                   "In resident basic medical insurance"),
              "employee_medical": ("employee_medical_insurance", "是否参加城镇职工基本医疗保险",
                                   "In employee basic medical insurance"),
              "serious_illness": ("serious_illness_insurance", "是否参加大病保险", "In serious-illness insurance"),
              "commercial": ("commercial_insurance", "是否参加商业补充医疗保险",
                             "In commercial supplementary insurance"),
              "medical_assistance": ("medical_assistance", "是否接受大病医疗救助",
                                     "Receives (serious-illness) medical assistance"),
              "resident_pension": ("resident_pension", "是否参加城乡居民基本养老保险", "In resident basic pension"),
              "employee_pension": ("employee_pension", "是否参加城镇职工基本养老保险", "In employee basic pension")}
_PENSION_AGE = "${age} >= 16"


def _insurance_flags() -> list[Field]:
    """The seven national 是/否 columns, computed from the member's one insurance multi-select
    (pensions only from 16, as the old questions were)."""
    out = []
    for code, (name, zh, _en) in _INSURANCE.items():
        flag = f"if(selected(${{insurance}}, '{code}'), 'yes', 'no')"
        if code.endswith("pension"):
            flag = f"if({_PENSION_AGE}, {flag}, '')"
        out.append(calc(name, f"if(${{insurance}} = '', '', {flag})", value="bool",
                        record=f"members[].{name}", export=zh))
    return out


# Each member is one page, headed by a note with the member's number and name (a note inside the
# repeat refers to its own entry; the repeat's label would show the first member's in Web Forms).
_members = group("member", "家庭成员", "Household members", forms=(HS,),
                 repeat=True, record="members", appearance="field-list", children=[
    calc("member_no", "position(..)", value="int"),
    note("member_header", "家庭成员 ${member_no}：${name}", "Household member ${member_no}: ${name}"),
    note("head_is_first", "第1位成员是户主本人（${name}），姓名和证件号码已按户主信息填好",
         "Member 1 is the head (${name}); name and ID number are taken from the head's answers",
         relevant=_FIRST),
    q("name_entered", "text", "姓名", "Name", required=True, relevant=_OTHER),
    select("relation_entered", "relation", appearance="minimal", relevant=_OTHER,
           constraint=". != 'head'", constraint_msg=("户主已登记为第1位成员", "The head is already member 1")),
    select("id_type_entered", "id_type", default="resident_id", relevant=_OTHER),
    q("id_number_entered", "text", "证件号码", "ID number", required=True, relevant=_OTHER, id_number=True,
      constraint=(f"${{id_type_entered}} = 'other' or (({id_valid('.')}) and "
                  f"(${{id_type_entered}} = 'disability_cert' or string-length(.) = 18))"),
      constraint_msg=_id_msg("id")),
    calc("name", f"if({_FIRST}, ${{head_name}}, ${{name_entered}})", record="members[].name", export="姓名"),
    calc("relation", f"if({_FIRST}, 'head', ${{relation_entered}})", record="members[].relation",
         export="与户主关系"),
    calc("id_type", f"if({_FIRST}, if(string-length(${{head_id_number}}) > 18, 'disability_cert', 'resident_id'), "
                    f"${{id_type_entered}})", record="members[].id_type", export="证件类型"),
    calc("id_number", f"translate(if({_FIRST}, ${{head_id_number}}, ${{id_number_entered}}), 'x', 'X')",
         record="members[].id_number", export="证件号码", id_number=True),
    *_id_problem_calcs("id", "${id_number_entered}"),
    select("sex_entered", "sex", relevant=_IS_OTHER_ID),
    q("birth_entered", "date", "出生日期", "Date of birth", required=True, relevant=_IS_OTHER_ID,
      constraint=_NOT_FUTURE[0], constraint_msg=_NOT_FUTURE[1]),
    calc("sex", f"if({_IS_OTHER_ID}, ${{sex_entered}}, {id_sex('${id_number}')})",
         record="members[].sex", export="性别"),
    calc("birth_date", f"if({_IS_OTHER_ID}, ${{birth_entered}}, {id_birth_date('${id_number}')})",
         value="date", record="members[].birth_date", export="出生日期"),
    calc("age", age_on("${birth_date}"), value="int"),
    note("id_derived", "由证件号码得出：出生日期 ${birth_date}，${age} 岁，性别 ${sex_zh}",
         "From the ID number: born ${birth_date}, age ${age}, ${sex}",
         relevant=f"not({_IS_OTHER_ID}) and string-length(${{id_number}}) >= 18"),
    calc("sex_zh", "if(${sex} = 'male', '男', if(${sex} = 'female', '女', ''))"),
    select("ethnicity", "ethnicity", default="01", appearance="minimal", record="members[].ethnicity",
           export="民族"),
    select("political", "political", default="masses", record="members[].political", export="政治面貌"),
    # 文化程度 or 在校生状况 (exactly one applies): one question, split back into the two columns.
    select("education_or_school", "education_or_school", appearance="minimal",
           constraint=("if(${age} < 6, . = 'school_preschool_child' or . = 'school_preschool', "
                       "not(starts-with(., 'school_preschool')) or ${age} <= 7)"),
           constraint_msg=("与年龄不符：6岁以下为学龄前儿童或学前教育（在校）",
                           "Does not fit the age: under 6 is a pre-school child or in pre-school")),
    calc("in_school", "if(${education_or_school} = '', '', "
                      "if(starts-with(${education_or_school}, 'school_'), 'yes', 'no'))"),
    calc("education", "if(starts-with(${education_or_school}, 'edu_'), "
                      "substr(${education_or_school}, 4, string-length(${education_or_school})), '')",
         record="members[].education", export="文化程度"),
    calc("school_status", "if(starts-with(${education_or_school}, 'school_'), "
                          "substr(${education_or_school}, 7, string-length(${education_or_school})), '')",
         record="members[].school_status", export="在校生状况"),
    select("dropout_reason", "dropout_reason", zh="失学或辍学原因（义务教育阶段适龄未在校）",
           en="Why this compulsory-school-age child is out of school",
           relevant="${in_school} = 'no' and ${age} >= 6 and ${age} <= 15",
           record="members[].dropout_reason", export="失学或辍学原因"),
    select("health", "health", multiple=True, default="healthy", record="members[].health", export="健康状况",
           constraint="not(selected(., 'healthy') and count-selected(.) > 1)",
           constraint_msg=("选了“健康”就不能再选其他健康状况", "'Healthy' excludes the other answers")),
    select("disability_type", "disability_type", relevant="selected(${health}, 'disabled')",
           record="members[].disability_type", export="残疾类别"),
    select("disability_grade", "disability_grade", relevant="selected(${health}, 'disabled')",
           record="members[].disability_grade", export="残疾等级"),
    q("disability_cert_year", "integer", "残疾证办证年度", "Year the disability certificate was issued",
      relevant="selected(${health}, 'disabled')", record="members[].disability_cert_year",
      export="残疾证办证年度", constraint=". >= 1990 and . <= number(format-date(today(), '%Y'))",
      constraint_msg=("年度应在1990年到今年之间", "Between 1990 and this year")),
    # Under 16 there is no labour ability to ask about: the record says 无劳动力.
    select("labour_entered", "labour_skill", relevant="${age} >= 16 or ${age} = ''",
           constraint=("not(${age} >= 16 and ${age} <= 60 and . = 'none' and ${in_school} = 'no' "
                       "and selected(${health}, 'healthy'))"),
           constraint_msg=("劳动技能与年龄不符：16–60岁健康且不在校的不应为无劳动力",
                           "Labour ability does not fit the age: a healthy 16–60-year-old not in school "
                           "should not be 'none'")),
    calc("labour_skill", "if(${age} != '' and ${age} < 16, 'none', ${labour_entered})",
         record="members[].labour_skill", export="劳动技能"),
    q("work_months_entered", "integer", "务工时间（月）", "Months worked away or locally for wages",
      required=True, default="0", relevant=_CAN_WORK, constraint=". >= 0 and . <= 12",
      constraint_msg=("0到12个月", "0 to 12 months")),
    calc("work_months", f"if({_CAN_WORK}, ${{work_months_entered}}, if(${{age}} >= 16, 0, ''))", value="int",
         record="members[].work_months", export="务工时间（月）"),
    select("work_location", "work_location", relevant=_WORKS, record="members[].work_location",
           export="务工所在地"),
    q("employer", "text", "务工企业名称", "Employer", relevant=_WORKS, record="members[].employer",
      export="务工企业名称"),
    select("employment_channel", "employment_channel", relevant=_WORKS,
           record="members[].employment_channel", export="就业渠道"),
    # Only work outside the province (or "other") can be abroad; work nearer home is not.
    yes_no("abroad_entered", "是否国外务工", "Works abroad", relevant=f"{_WORKS} and {_FAR}"),
    calc("works_abroad", f"if({_WORKS}, if({_FAR}, ${{abroad_entered}}, 'no'), '')", value="bool",
         record="members[].works_abroad", export="是否国外务工"),
    yes_no("mandarin_entered", "是否会讲普通话", "Speaks Mandarin", relevant="${all_mandarin} = 'no'"),
    calc("speaks_mandarin", "if(${all_mandarin} = 'yes', 'yes', ${mandarin_entered})", value="bool",
         record="members[].speaks_mandarin", export="是否会讲普通话"),
    select("insurance", "insurance", multiple=True,
           choice_filter=f"{_PENSION_AGE} or (name != 'resident_pension' and name != 'employee_pension')",
           constraint="not(selected(., 'none') and count-selected(.) > 1)",
           constraint_msg=("选了“以上均无”就不能再选其他保险", "'None of the above' excludes the others"),
           hint=("逐项问清，参加了的都勾选；都没有参加选“以上均无”",
                 "Ask about each and tick every one the member has; none: tick 'None of the above'")),
    *_insurance_flags(),
    calc("basic_uninsured", "if(${insurance} != '' and ${resident_medical_insurance} = 'no' and "
                            "${employee_medical_insurance} = 'no', 'yes', 'no')"),
    select("uninsured_reason", "uninsured_reason", relevant="${basic_uninsured} = 'yes'",
           record="members[].uninsured_reason"),
    select("dibao", "dibao", default="none", record="members[].dibao", export="是否享受低保"),
    select("tekun", "tekun", default="none", record="members[].tekun", export="是否特困供养人员"),
    calc("relocated", "${relocated_household}", value="bool", record="members[].relocated"),
    q("public_job_entered", "integer", "公益性岗位（月数）", "Months in a public-welfare job",
      required=True, default="0", relevant=_CAN_WORK, constraint=". >= 0 and . <= 12",
      constraint_msg=("0到12个月", "0 to 12 months")),
    calc("public_job_months", f"if({_CAN_WORK}, ${{public_job_entered}}, if(${{age}} >= 16, 0, ''))", value="int",
         record="members[].public_job_months", export="公益性岗位(月数)"),
    select("public_job_type", "public_job_type", relevant="${public_job_months} > 0",
           record="members[].public_job_type", export="公益性岗位类型"),
    q("member_phone", "text", "成员联系电话", "Member's phone", record="members[].phone",
      export="成员联系电话", **_PHONE),
    q("graduate_unemployed_reason", "text", "大专/本科应届毕业生未就业原因",
      "Why this new college graduate has no job",
      relevant="${in_school} = 'no' and (${education} = 'college' or ${education} = 'bachelor') and ${age} <= 30",
      record="members[].graduate_unemployed_reason"),
    yes_no("coresident", "是否共同生活（计入家庭人口）", "Lives in the household (counted)",
           default="yes", record="members[].coresident"),
])


# -- income (domain.md §4) ---------------------------------------------------------------------------
_PER_YEAR = ("（元/年）", " (yuan/year)")


def _income_component(component: str) -> Group:
    zh, en = codes.INCOME_COMPONENTS[component]
    items = codes.INCOME_ITEMS[component]
    names = [f"{component}_{item.code}" for item in items]
    # Cost items say 成本: once scrolled they must not look like the income items of the same name.
    cost = ("成本", " costs") if component == "business_costs" else ("", "")
    children = [amount(name, f"{item.zh}{cost[0]}{_PER_YEAR[0]}", f"{item.en}{cost[1]}{_PER_YEAR[1]}",
                       record=f"income.{component}.{item.code}", entity=name,
                       per_form={FU: dict(default=None), EC: dict(default=None)})
                for name, item in zip(names, items)]
    children.append(calc(f"{component}_total", " + ".join(f"coalesce(${{{n}}}, 0)" for n in names),
                         value="float", export=zh))
    return group(f"income_{component}", zh, en, children, forms=(HS, FU, EC), appearance="field-list")


# The figures are shown once people and income have been entered (not on an empty form).
_INCOME_ENTERED = ("${people_count} > 0 and "
                   "(${wage_total} + ${business_total} + ${property_total} + ${transfer_total}) > 0")

_income = group("income", "收入情况（[[period]]）", "Income ([[period]])", forms=(HS, FU, EC),
                hint=("按上年同月至本年上月共12个月填写，单位：元/年",
                      "Trailing 12 months, in yuan per year"), children=[
    *(_income_component(c) for c in ("wage", "business", "property", "transfer", "business_costs")),
    group("income_totals", "理赔收入与合计", "Insurance payouts and totals", forms=(HS, FU, EC),
          appearance="field-list", children=[
        amount("insurance_payouts", "理赔收入（元/年）", "Insurance payouts (yuan/year)",
               record="income.insurance_payouts", entity="insurance_payouts",
               per_form={FU: dict(default=None), EC: dict(default=None)},
               hint=("单独记录，是否计入纯收入由政策决定", "Kept apart; policy decides whether it counts")),
        amount("previous_net", "上一个12个月家庭纯收入（元，如了解）",
               "Family net income of the 12 months before (yuan, if known)",
               forms=(HS, FU), required=False, default=None, record="income.previous_net"),
        calc("net_income", "${wage_total} + ${business_total} + ${property_total} + ${transfer_total}"
                           " - ${business_costs_total}[[payouts]]", value="float", export="家庭纯收入"),
        calc("per_capita_net", "if(${people_count} > 0, round(${net_income} div ${people_count}, 2), 0)",
             value="float", export="人均纯收入（元）"),
        note("income_summary",
             "家庭纯收入 ${net_income} 元/年；人均纯收入 ${per_capita_net} 元/年（[[year]]年监测标准 [[floor]] 元）",
             "Family net income ${net_income} yuan/year; per capita ${per_capita_net} yuan/year "
             "([[year]] monitoring floor [[floor]] yuan)", relevant=_INCOME_ENTERED),
        note("below_floor", "⚠ 人均纯收入低于监测标准 [[floor]] 元", "⚠ Per-capita income is below the floor of [[floor]] yuan",
             relevant=f"{_INCOME_ENTERED} and ${{per_capita_net}} < [[floor]]"),
    ]),
], per_form={EC: dict(zh="风险消除后收入情况（[[period]]）",
                     en="Income after the risk was eliminated ([[period]])")})


# -- 合规自付支出 (domain.md §4.3) -------------------------------------------------------------------
def _spending_items() -> list[Field]:
    out: list[Field] = []
    for item in codes.SPENDING:
        name = f"spending_{item.code}"
        out.append(amount(name, f"{item.zh}{_PER_YEAR[0]}", f"{item.en}{_PER_YEAR[1]}",
                          record=f"spending.{item.code}", entity=name,
                          per_form={FU: dict(default=None), EC: dict(default=None)}))
        out.append(q(f"{name}_photo", "image", f"{item.zh}凭证照片（可选）", f"Receipt photo: {item.en} (optional)",
                     relevant=f"${{{name}}} > 0", parameters=PHOTO, record="evidence_photos+"))
    return out


_spending = group("spending", "合规自付支出（[[period]]）", "Eligible self-paid spending ([[period]])",
                  forms=(HS, FU, EC), appearance="field-list",
                  hint=("须有票据等凭证，不含生产经营支出", "Must be evidenced; excludes production costs"),
                  children=[
    *_spending_items(),
    calc("spending_total", " + ".join(f"coalesce(${{spending_{c.code}}}, 0)" for c in codes.SPENDING),
         value="float", export="合规自付支出"),
])

# -- 三保障 + 饮水 ------------------------------------------------------------------------------------
_WATER = (("quality", "水质达标", "Water quality meets the standard"),
          ("quantity", "水量充足", "Enough water"),
          ("convenience", "取水方便", "Water is convenient to fetch"),
          ("reliability", "供水有保障", "Supply is reliable"))
# The household survey computes 失学辍学 and 未参保 from the members (asked once, per member).
_DROPOUTS = "${member}[in_school = 'no' and age >= 6 and age <= 15]"
_guarantees = group("guarantees", "“三保障”和饮水安全", "Schooling, health care, housing and water",
                    forms=(HS, FU), appearance="field-list", children=[
    yes_no("school_dropout", "是否有义务教育阶段适龄儿童少年失学辍学",
           "A compulsory-school-age child is out of school", forms=(FU,), record="guarantees.school_dropout",
           entity="school_dropout", export="是否义务教育阶段适龄儿童少年失学辍学"),
    calc("school_dropout", f"if(count({_DROPOUTS}) > 0, 'yes', 'no')", value="bool", forms=(HS,),
         record="guarantees.school_dropout", entity="school_dropout",
         export="是否义务教育阶段适龄儿童少年失学辍学"),
    select("school_dropout_reason", "dropout_reason", forms=(FU,), relevant="${school_dropout} = 'yes'",
           record="guarantees.school_dropout_reason"),
    calc("school_dropout_reason", f"if(count({_DROPOUTS}) > 0, {_DROPOUTS}[1]/dropout_reason, '')",
         forms=(HS,), record="guarantees.school_dropout_reason"),
    yes_no("medical_uninsured", "是否有家庭成员未参加基本医疗保险",
           "A member has no basic medical insurance", forms=(FU,), record="guarantees.medical_uninsured",
           entity="medical_uninsured", export="是否有家庭成员未参加城乡居民(职工)基本医疗保险"),
    calc("medical_uninsured", "if(count(${member}[basic_uninsured = 'yes']) > 0, 'yes', 'no')", value="bool",
         forms=(HS,), record="guarantees.medical_uninsured", entity="medical_uninsured",
         export="是否有家庭成员未参加城乡居民(职工)基本医疗保险"),
    select("water_problems", "water_problem", multiple=True, forms=(HS,),
           constraint="not(selected(., 'none') and count-selected(.) > 1)",
           constraint_msg=("选了“以上均无”就不能再选其他问题", "'None of the above' excludes the others")),
    yes_no("housing_unsafe", "住房是否出现安全问题", "Housing is unsafe", forms=(FU,), record="guarantees.housing_unsafe",
           entity="housing_unsafe", export="是否危房户"),
    calc("housing_unsafe", "if(${water_problems} = '', '', if(selected(${water_problems}, 'housing'), 'yes', 'no'))",
         value="bool", forms=(HS,), record="guarantees.housing_unsafe", entity="housing_unsafe", export="是否危房户"),
    select("house_grade", "house_grade", required=False, record="guarantees.house_grade", export="危房等级",
           relevant="${housing_unsafe} = 'yes'",
           hint=("有鉴定结果的填写", "If the house has been rated")),
    yes_no("only_house", "是否唯一住房", "It is the only house", relevant="${housing_unsafe} = 'yes'",
           record="guarantees.only_house"),
    *(f for key, zh, en in _WATER for f in (
        yes_no(f"water_{key}", zh, en, forms=(FU,), record=f"guarantees.water.{key}", entity=f"water_{key}"),
        calc(f"water_{key}", f"if(${{water_problems}} = '', '', if(selected(${{water_problems}}, '{key}'), 'no', 'yes'))",
             value="bool", forms=(HS,), record=f"guarantees.water.{key}", entity=f"water_{key}"))),
    calc("water_unsafe", "if(" + " or ".join(f"${{water_{k}}} = 'no'" for k, _, _ in _WATER)
         + ", 'yes', 'no')", value="bool", record="guarantees.water_unsafe", export="是否饮水出现安全问题"),
    note("water_note", "⚠ 饮水安全未达标", "⚠ Drinking water is not safe", relevant="${water_unsafe} = 'yes'"),
])

# -- risks (domain.md §5.1) ------------------------------------------------------------------------------
_risks = group("risk", "致贫/返贫风险", "Poverty risks", forms=(HS, FU, SD), appearance="field-list", children=[
    select("risks", "risk", multiple=True, required=False, zh="致贫/返贫风险（最多5项）",
           en="Poverty risks (up to 5)", entity="risks", export="致贫/返贫风险1–5",
           constraint=f"count-selected(.) <= {codes.MAX_RISKS}",
           constraint_msg=(f"最多选{codes.MAX_RISKS}项", f"Choose at most {codes.MAX_RISKS}"),
           # A farmer declaring for themselves is not offered 内生动力不足 (a cadre's assessment).
           per_form={SD: dict(zh="家里遇到了什么困难？（可多选，最多5项）",
                              en="What has happened to your family? (up to 5)",
                              choice_filter="name != 'weak_motivation'")}),
    select("risk_disaster", "disaster", relevant="selected(${risks}, 'natural_disaster')",
           entity="risk_disaster", export="因自然灾害子项"),
    q("risk_note", "text", "“其他”风险的说明", "What the 'other' risk is", required=True,
      relevant="selected(${risks}, 'other')", entity="risk_note", export="其他风险备注",
      per_form={SD: dict(zh="请说明是什么困难", en="Please say what the difficulty is")}),
])

# -- exclusions (domain.md §6.1: warnings, never rejection) ---------------------------------------------
_exclusions = group("exclusions", "排除情形核实", "Exclusion checks", forms=(HS,), appearance="field-list",
                    hint=("如实填写；命中不直接否决，由民主评议决定",
                          "Answer truthfully; a case that applies is a warning for review, not a rejection"),
                    children=[
    select("exclusions_present", "exclusion_check", multiple=True,
           constraint="not(selected(., 'none') and count-selected(.) > 1)",
           constraint_msg=("选了“以上均无”就不能再选其他情形", "'None of the above' excludes the others"),
           hint=("逐项问清，存在的都勾选；都不存在选“以上均无”",
                 "Ask about each and tick every case that applies; none: tick 'None of the above'")),
    *(calc(f"excl_{item.code}", f"if(${{exclusions_present}} = '', '', "
                                f"if(selected(${{exclusions_present}}, '{item.code}'), 'yes', 'no'))",
           value="bool", record=f"exclusions.{item.code}")
      for item in codes.EXCLUSION),
])

# -- land and living conditions (domain.md §3.1) ------------------------------------------------------------
_LAND = (("cultivated", "耕地面积（亩）", "Cultivated land (mu)"),
         ("forest", "林地面积（亩）", "Forest land (mu)"),
         ("returned_farmland", "退耕还林面积（亩）", "Farmland returned to forest (mu)"),
         ("orchard", "林果面积（亩）", "Orchards (mu)"),
         ("grassland", "牧草地面积（亩）", "Grassland (mu)"),
         ("water_surface", "水面面积（亩）", "Water surface (mu)"))
_land = group("land", "生产生活条件", "Land and living conditions", forms=(HS,), appearance="field-list",
              children=[
    *(amount(f"land_{key}", zh, en, required=False, default=None, record=f"land.{key}", export=zh,
             constraint_msg=("面积不能为负数", "The area cannot be negative"))
      for key, zh, en in _LAND),
    amount("road_distance_km", "与村主干路距离（公里）", "Distance to the village main road (km)",
           required=False, default=None, record="road_distance_km",
           constraint_msg=("距离不能为负数", "The distance cannot be negative")),
    amount("house_area_m2", "住房面积（平方米）", "House floor area (m²)", required=False, default=None,
           record="house_area_m2", constraint_msg=("面积不能为负数", "The area cannot be negative")),
])

# -- assistance received (follow-up; domain.md §5.2) --------------------------------------------------------
_measures = group("assistance_block", "帮扶措施落实情况", "Assistance received", forms=(FU,), children=[
    yes_no("received_assistance", "本次回访期间是否落实了新的帮扶措施",
           "New assistance since the last visit"),
    group("assistance", "帮扶措施", "Assistance measure", forms=(FU,), repeat=True, record="measures",
          relevant="${received_assistance} = 'yes'", children=[
        select("measure", "measure", record="measures[].measure"),
        q("measure_date", "date", "落实日期", "Date", required=True, record="measures[].date",
          constraint=_NOT_FUTURE[0], constraint_msg=_NOT_FUTURE[1]),
        amount("measure_amount", "金额（元，如有）", "Amount (yuan, if any)", required=False, default=None,
               record="measures[].amount"),
        q("measure_note", "text", "说明", "Note", record="measures[].note"),
    ]),
    q("visit_note", "text", "本次回访发现的主要变化", "Main changes found on this visit",
      appearance="multiline", record="visit_note"),
])

# -- risk elimination check (附件5; domain.md §7.2) -----------------------------------------------------------
_CRITERIA = (("measures_in_place", "帮扶措施已落实到位", "Targeted assistance is in place"),
             ("guarantees_consolidated", "“三保障”和饮水安全持续巩固", "Schooling, health, housing and water are secured"),
             ("income_stable", "人均纯收入稳定超过当年监测标准（[[floor]] 元）",
              "Per-capita income is stably above this year's floor ([[floor]] yuan)"),
             ("spending_resolved", "大额刚性支出问题已稳定解决", "Large rigid spending is solved"))
# The income criterion cannot be 是 while the form's own per-capita income is below the floor.
_ELIM_CHECKS = {"income_stable": dict(
    constraint="not(. = 'yes' and ${per_capita_net} < [[floor]])",
    constraint_msg=("本表人均纯收入 ${per_capita_net} 元低于监测标准 [[floor]] 元，不能选“是”",
                    "Per-capita income on this form (${per_capita_net} yuan) is below the floor of "
                    "[[floor]] yuan: cannot be yes"))}
_elimination = group("elimination", "风险消除条件核查", "Elimination criteria", forms=(EC,), children=[
    *(f for key, zh, en in _CRITERIA for f in (
        yes_no(f"elim_{key}", zh, en, record=f"elimination.{key}", **_ELIM_CHECKS.get(key, {})),
        q(f"elim_{key}_photo", "image", "佐证照片（可选）", "Evidence photo (optional)", parameters=PHOTO,
          record="evidence_photos+"))),
    note("elim_warning", "⚠ 四项条件未全部满足，不应标注风险消除",
         "⚠ Not all four criteria are met: the risk should not be marked eliminated",
         relevant="not(" + " and ".join(f"${{elim_{k}}} = 'yes'" for k, _, _ in _CRITERIA) + ")"),
    select("elimination_method", "elimination_method", record="elimination.method"),
    q("elimination_opinion", "text", "帮扶责任人/村两委意见", "Opinion of the responsible cadre / village committee",
      required=True, appearance="multiline", record="elimination.opinion"),
])

# -- self-declaration ------------------------------------------------------------------------------------------
_declaration = group("declaration", "申报内容", "Your declaration", forms=(SD,), children=[
    q("decl_description", "text", "请简单说说发生了什么", "Tell us briefly what happened",
      appearance="multiline", record="self_declaration.description",
      required="count-selected(${risks}) = 0",
      hint=("没有勾选困难时必须填写", "Required when no difficulty is ticked above")),
    q("decl_photo", "image", "相关票据或证明照片（可选，如医疗费票据）", "Photo of a bill or certificate (optional)",
      parameters=PHOTO, record="evidence_photos+"),
    yes_no("decl_consent", "我承诺所填信息真实，并同意有关部门核查我家的收入、财产等信息",
           "I confirm this is true and agree that the authorities may check my family's income and assets",
           constraint=". = 'yes'",
           constraint_msg=("需要您同意信息核查，才能提交申报", "We can only take the declaration with your consent"),
           record="self_declaration.consent"),
    # The self-declaration is filled in a browser: no value set by setvalue (Web Forms 0.22 shows
    # such a value as an empty box and erases it on focus), so its date is a calculation.
    calc("survey_date", "today()", value="date", record="survey_date", export="填表时间"),
])

# -- proxy authorization (附件1 with a proxy signature) -----------------------------------------------------------
_proxy = group("proxy", "代签信息", "Proxy signature", forms=(AU,), appearance="field-list", children=[
    q("proxy_reason", "text", "户主不能本人签字的原因", "Why the head cannot sign", required=True,
      record="authorization.reason"),
    q("proxy_name", "text", "代签人姓名", "Name of the proxy", required=True, record="authorization.proxy_name"),
    select("proxy_relation", "relation", zh="代签人与户主关系", en="Proxy's relationship to the head",
           record="authorization.proxy_relation"),
    q("proxy_id_number", "text", "代签人证件号码", "Proxy's ID number", required=True,
      constraint=id_valid("."), constraint_msg=_id_msg("proxy_id"), record="authorization.proxy_id_number",
      id_number=True),
    *_id_problem_calcs("proxy_id", "${proxy_id_number}"),
    q("thumbprint_photo", "image", "户主手印照片（在授权书上按手印后拍照）",
      "Photo of the head's thumbprint on the letter", required=True, parameters=PHOTO,
      record="authorization.thumbprint_photo"),
])

# -- summary before finalising (household survey) --------------------------------------------------------------
_YES_NO_TEXT = "if({0} = 'yes', '{1}', if({0} = 'no', '{2}', '—'))"
_summary = group("summary", "提交前核对", "Check before finalising", forms=(HS,), appearance="field-list",
                 relevant=_INCOME_ENTERED, children=[
    note("summary_income", "家庭人口 ${people_count} 人；人均纯收入 ${per_capita_net} 元/年，监测标准 [[floor]] 元："
         "${summary_floor}",
         "${people_count} people; per-capita net income ${per_capita_net} yuan/year, floor [[floor]] yuan: "
         "${summary_floor_en}"),
    calc("summary_floor", "if(${per_capita_net} < [[floor]], '⚠ 低于标准', '不低于标准')"),
    calc("summary_floor_en", "if(${per_capita_net} < [[floor]], '⚠ below the floor', 'not below the floor')"),
    note("summary_spending", "合规自付支出合计 ${spending_total} 元/年", "Eligible self-paid spending ${spending_total} yuan/year"),
    note("summary_guarantees", "“三保障”和饮水：义务教育 ${summary_school}；基本医疗 ${summary_medical}；"
         "住房 ${summary_housing}；饮水 ${summary_water}",
         "Guarantees: schooling ${summary_school_en}; medical ${summary_medical_en}; "
         "housing ${summary_housing_en}; water ${summary_water_en}"),
    *(calc(f"summary_{key}{suffix}", _YES_NO_TEXT.format(ref, problem, ok))
      for key, ref, problems in (("school", "${school_dropout}", ("⚠ 有失学辍学", "⚠ a child out of school")),
                                 ("medical", "${medical_uninsured}", ("⚠ 有人未参保", "⚠ someone uninsured")),
                                 ("housing", "${housing_unsafe}", ("⚠ 不安全", "⚠ unsafe")),
                                 ("water", "${water_unsafe}", ("⚠ 不安全", "⚠ unsafe")))
      for suffix, problem, ok in (("", problems[0], "有保障"), ("_en", problems[1], "secured"))),
])

# -- sign-off -----------------------------------------------------------------------------------------------------
_signoff = group("signoff", "签字确认", "Sign-off", forms=(HS, FU, EC, AU), appearance="field-list", children=[
    q("gps", "geopoint", "户所在位置（GPS）", "Location (GPS)", forms=(HS, FU, EC), record="gps"),
    q("authorization_photo", "image", "已签字的承诺授权书照片", "Photo of the signed authorization letter",
      forms=(HS, AU), required=True, parameters=PHOTO, record="authorization_photo",
      hint=("户主签字（或代签并按手印）后拍照", "Photograph it after the head (or a proxy) has signed")),
    q("signature", "image", "户主（或代签人）签名", "Signature of the head (or of the proxy signing for them)",
      forms=(HS, AU), required=True, appearance="signature", parameters=PHOTO, record="signature",
      per_form={AU: dict(zh="代签人签名", en="Signature of the proxy")}),
    q("collector_name", "text", "填表人", "Collector", forms=(HS, FU, EC, AU), required=True,
      record="collector_name", export="填表人"),
    q("collector_phone", "text", "填表人电话", "Collector's phone", forms=(HS, FU, EC, AU),
      record="collector_phone", export="填表人电话", **_PHONE),
    q("survey_date", "date", "填表时间", "Date", forms=(HS, FU, EC, AU), required=True, default="today()",
      record="survey_date", entity="last_visit", prefill=False, export="填表时间", constraint=_NOT_FUTURE[0],
      constraint_msg=_NOT_FUTURE[1]),
])

CATALOG: tuple[Field | Group, ...] = (
    _location, _head, _members, _income, _spending, _guarantees, _risks, _exclusions, _land,
    _measures, _elimination, _declaration, _proxy, _summary, _signoff,
)

# Entity properties saved by the registration form and read by the follow-up form, in order.
ENTITY_PROPERTIES: tuple[str, ...] = tuple(
    f.entity for _, f in walk(CATALOG, HS) if f.entity is not None)


def fields_of(form_id: str) -> list[tuple[tuple[Group, ...], Field]]:
    """The fields ``form_id`` carries, in form order, with their enclosing groups."""
    if form_id not in FORMS:
        raise KeyError(f"unknown form {form_id!r}; known: {', '.join(FORMS)}")
    return list(walk(CATALOG, form_id))
